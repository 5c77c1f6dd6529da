// Node-Media-Server 2.x configured as the bench's peer: RTMP and HTTP on the loopback ports the
// bench picked (environment), and its HLS output: a "trans" task that runs one ffmpeg per published
// stream (-c copy) writing 2 s segments and a 10-segment playlist, as the other servers do.
const NodeMediaServer = require('node-media-server');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const server = new NodeMediaServer({
  logType: 2,
  rtmp: { port: Number(env('NMS_RTMP_PORT')), chunk_size: 60000, gop_cache: true, ping: 30, ping_timeout: 60 },
  http: { port: Number(env('NMS_HTTP_PORT')), mediaroot: env('NMS_MEDIAROOT'), allow_origin: '*' },
  trans: {
    ffmpeg: env('NMS_FFMPEG'),
    tasks: [{ app: 'live', hls: true, hlsFlags: '[hls_time=2:hls_list_size=10:hls_flags=delete_segments]' }],
  },
});

// The start time ffmpeg reports for its RTMP input is the publisher's media time of the first
// segment (with the GOP cache, the latest keyframe when ffmpeg connected): the bench needs it to
// place the segments on the publisher's clock. NMS emits ffmpeg's stderr anyway, in arbitrary
// chunks ("FF_LOG:<chunk>"): they are put back into lines and only those two kinds are printed.
let pending = '';
server.on('ffDebugMessage', (message) => {
  pending += String(message).replace(/^FF_LOG:/, '');
  const lines = pending.split(/[\r\n]/);
  pending = lines.pop();
  for (const line of lines) {
    if (line.includes('Input #') || line.includes('Duration:')) console.log(`bench-ffmpeg ${line.trim()}`);
  }
});

server.run();
