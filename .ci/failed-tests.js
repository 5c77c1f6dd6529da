// Prints each failed test of the TRX files given as arguments: its name, duration, message and the
// first lines of its stack trace. .ci/test.sh calls it last, so that the tail of a CI log (often all
// that is kept) names what failed and why.
// Usage: node .ci/failed-tests.js RESULT.trx...
'use strict';
const fs = require('fs');

const decode = (s) => s
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'")
  .replace(/&#x([0-9a-fA-F]+);/g, (_, h) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
  .replace(/&amp;/g, '&');
const element = (xml, name) => {
  const m = xml.match(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`));
  return m ? decode(m[1]) : '';
};
const attribute = (tag, name) => {
  const m = tag.match(new RegExp(` ${name}="([^"]*)"`));
  return m ? decode(m[1]) : '';
};
const firstLines = (text, count) => text.replace(/\r/g, '').split('\n').slice(0, count).join('\n');

let failures = 0;
for (const file of process.argv.slice(2)) {
  const xml = fs.readFileSync(file, 'utf8');
  // A result is either self-closing (no output) or has a body up to its closing tag.
  const results = xml.match(/<UnitTestResult [^>]*?(?:\/>|>[\s\S]*?<\/UnitTestResult>)/g) || [];
  for (const result of results) {
    const tag = result.match(/<UnitTestResult [^>]*>/)[0];
    if (attribute(tag, 'outcome') !== 'Failed') continue;
    failures++;
    console.log(`FAILED ${attribute(tag, 'testName')} (${attribute(tag, 'duration')})`);
    const message = element(result, 'Message').trim();
    const stack = element(result, 'StackTrace').trim();
    if (message) console.log(firstLines(message, 30).replace(/^/gm, '  '));
    if (stack) console.log(firstLines(stack, 12).replace(/^/gm, '    '));
  }
}
if (failures > 0) console.log(`${failures} failed test(s) listed above`);
