// The gateway's player page: lists the live streams from /api/streams and plays one with hls.js
// (Safari's own HLS where hls.js cannot run) or dash.js. ?stream=NAME&tech=hls|dash&ll=1 selects
// directly. window.gatewayPlayer exposes the player's state to the browser tests.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const video = $('video');
  const techSelect = $('tech');
  const qualitySelect = $('quality');
  const llCheckbox = $('ll');

  const STREAMS_REFRESH_MS = 3000;
  const LATENCY_REFRESH_MS = 500;

  // The stream being played: { name, tech, ll, hls, dash }; null before the first pick.
  let session = null;

  const gatewayPlayer = {
    tech: null, // 'hls' | 'dash'
    engine: null, // 'hls.js 1.x', 'native HLS', 'dash.js 5.x'
    error: null, // the fatal error's text, or null
    levels: [], // video rungs: { width, height, bitrate, label }, in the player's own order
    setLevel,
    latency,
    playingDate,
  };
  window.gatewayPlayer = gatewayPlayer;

  const missing = [];
  if (typeof window.Hls === 'undefined') missing.push('hls.js');
  if (typeof window.dashjs === 'undefined') missing.push('dash.js');
  $('notice').hidden = missing.length === 0;

  function play(name, tech, ll) {
    stop();
    session = { name, tech, ll, hls: null, dash: null };
    Object.assign(gatewayPlayer, { tech, engine: null, error: null, levels: [] });
    techSelect.value = tech;
    llCheckbox.checked = ll;
    renderLevels();
    markCurrentStream();
    updateAddress();
    setStatus(`Loading ${name}…`);
    const path = `/live/${encodeURIComponent(name)}/`;
    if (tech === 'dash') {
      startDash(`${path}manifest.mpd`, ll);
    } else {
      startHls(`${path}index.m3u8`, ll);
    }
  }

  // Keeps the address bar a link to what is playing.
  function updateAddress() {
    const { name, tech, ll } = session;
    history.replaceState(null, '', `?stream=${encodeURIComponent(name)}&tech=${tech}${ll ? '&ll=1' : ''}`);
  }

  function stop() {
    if (!session) return;
    if (session.hls) session.hls.destroy();
    if (session.dash) session.dash.destroy();
    if (!session.hls && !session.dash) {
      video.removeAttribute('src');
      video.load();
    }
    session = null;
  }

  function startHls(url, ll) {
    const Hls = window.Hls;
    const mine = session;
    if (Hls && Hls.isSupported()) {
      // In low-latency mode hls.js may speed playback up a little to reach its target latency when it
      // started behind the live edge (without it, a late start stays late for the whole session).
      const hls = new Hls({ lowLatencyMode: ll, maxLiveSyncPlaybackRate: ll ? 1.5 : 1 });
      mine.hls = hls;
      gatewayPlayer.engine = `hls.js ${Hls.version}`;
      hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => {
        gatewayPlayer.levels = data.levels.map((l) => describeLevel(l.width, l.height, l.bitrate));
        renderLevels();
      });
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (data.fatal) fail(`hls.js: ${data.type} / ${data.details}${data.reason ? ` (${data.reason})` : ''}`);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      gatewayPlayer.engine = 'native HLS';
      video.src = url;
    } else {
      fail(Hls ? 'This browser can play neither hls.js (no MediaSource) nor HLS natively.' : 'hls.js is not installed: run npm ci.');
    }
  }

  function startDash(url, ll) {
    const dashjs = window.dashjs;
    if (!dashjs) {
      fail('dash.js is not installed: run npm ci.');
      return;
    }
    const mine = session;
    const player = dashjs.MediaPlayer().create();
    mine.dash = player;
    gatewayPlayer.engine = `dash.js ${player.getVersion()}`;
    player.updateSettings(dashSettings(ll));
    const events = dashjs.MediaPlayer.events;
    player.on(events.STREAM_INITIALIZED, () => {
      if (session !== mine) return;
      gatewayPlayer.levels = player.getRepresentationsByType('video').map((r) => describeLevel(r.width, r.height, r.bandwidth));
      renderLevels();
    });
    player.on(events.ERROR, (e) => {
      if (session === mine) fail(`dash.js: ${describeDashError(e.error)}`);
    });
    player.on(events.PLAYBACK_ERROR, (e) => {
      if (session === mine) fail(`dash.js playback: ${describeDashError(e.error)}`);
    });
    player.initialize(video, url, true);
  }

  // dash.js 5 has no low-latency switch of its own: it takes the target latency from the MPD's
  // ServiceDescription (the gateway's is LL-HLS's hold-back, 1.5 s with 0.5 s parts) and changes the
  // playback rate to keep it. Without low latency it ignores that and stays a few segments behind.
  function dashSettings(ll) {
    return {
      streaming: {
        applyServiceDescription: ll,
        liveCatchup: { enabled: ll },
      },
    };
  }

  function describeDashError(error) {
    if (!error) return 'unknown error';
    return error.message ? `${error.message}${error.code ? ` (code ${error.code})` : ''}` : String(error.code ?? error);
  }

  function describeLevel(width, height, bitrate) {
    const kbps = `${Math.round(bitrate / 1000)} kbps`;
    return { width, height, bitrate, label: width > 0 ? `${width}x${height} ${kbps}` : kbps };
  }

  // -1 is automatic; otherwise an index into gatewayPlayer.levels.
  function setLevel(index) {
    const i = Number(index);
    if (!session || !Number.isInteger(i) || i < -1 || i >= gatewayPlayer.levels.length) return false;
    if (session.hls) {
      session.hls.currentLevel = i;
    } else if (session.dash) {
      session.dash.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: i < 0 } } } });
      if (i >= 0) session.dash.setRepresentationForTypeByIndex('video', i, true);
    } else {
      return false;
    }
    qualitySelect.value = String(i);
    return true;
  }

  // Seconds behind the live edge, or null when not known (not live yet, or not live at all).
  function latency() {
    if (!session) return null;
    if (session.hls) {
      // hls.js reports a distance to the playlist's end for VOD too; only a live one has an edge.
      if (!session.hls.latestLevelDetails?.live) return null;
      const l = session.hls.latency;
      if (Number.isFinite(l) && l > 0) return l;
    } else if (session.dash) {
      try {
        const l = session.dash.getCurrentLiveLatency();
        return Number.isFinite(l) && l > 0 ? l : null;
      } catch {
        return null;
      }
    }
    const date = playingDate();
    return date ? (Date.now() - date.getTime()) / 1000 : null;
  }

  // The wall-clock time of the frame on screen (PROGRAM-DATE-TIME / availabilityStartTime), or null.
  function playingDate() {
    if (!session) return null;
    if (session.hls) return session.hls.playingDate ?? null;
    if (session.dash) {
      try {
        const seconds = session.dash.isDynamic() ? session.dash.timeAsUTC() : NaN;
        return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
      } catch {
        return null;
      }
    }
    const start = typeof video.getStartDate === 'function' ? video.getStartDate().getTime() : NaN;
    return Number.isFinite(start) ? new Date(start + video.currentTime * 1000) : null;
  }

  function fail(message) {
    gatewayPlayer.error = message;
    setStatus(message, true);
  }

  function setStatus(text, isError = false) {
    const status = $('status');
    status.textContent = text;
    status.classList.toggle('error', isError);
  }

  function showPlaying() {
    if (!session || gatewayPlayer.error) return;
    const size = video.videoWidth > 0 ? ` · ${video.videoWidth}x${video.videoHeight}` : '';
    setStatus(`${session.name} · ${gatewayPlayer.engine}${size}`);
  }

  function renderLevels() {
    const options = gatewayPlayer.levels.map((l, i) => new Option(l.label, String(i)));
    qualitySelect.replaceChildren(new Option('Auto', '-1'), ...options);
    qualitySelect.disabled = gatewayPlayer.levels.length < 2;
  }

  function markCurrentStream() {
    for (const button of $('streams').querySelectorAll('button')) {
      button.classList.toggle('current', session !== null && button.dataset.name === session.name);
    }
  }

  function renderStreams(streams) {
    const items = streams.map((s) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.name = s.name;
      button.textContent = s.name;
      if (s.video && s.video.width > 0) {
        const detail = document.createElement('small');
        detail.textContent = `${s.video.width}x${s.video.height} ${s.video.codec ?? ''}`.trim();
        button.append(detail);
      }
      button.addEventListener('click', () => play(s.name, techSelect.value, llCheckbox.checked));
      const item = document.createElement('li');
      item.append(button);
      return item;
    });
    $('streams').replaceChildren(...items);
    const empty = $('streams-empty');
    empty.textContent = 'No live streams.';
    empty.hidden = streams.length > 0;
    markCurrentStream();
    if (!session && streams.length > 0) play(streams[0].name, techSelect.value, llCheckbox.checked);
  }

  async function refreshStreams() {
    try {
      const response = await fetch('/api/streams', { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      renderStreams(await response.json());
    } catch (e) {
      const empty = $('streams-empty');
      empty.textContent = `Cannot list streams: ${e.message}`;
      empty.hidden = false;
    }
  }

  techSelect.addEventListener('change', () => {
    if (session) play(session.name, techSelect.value, llCheckbox.checked);
  });
  qualitySelect.addEventListener('change', () => setLevel(qualitySelect.value));
  llCheckbox.addEventListener('change', () => {
    if (!session) return;
    const ll = llCheckbox.checked;
    session.ll = ll;
    if (session.hls) {
      session.hls.lowLatencyMode = ll;
      session.hls.config.maxLiveSyncPlaybackRate = ll ? 1.5 : 1;
    }
    if (session.dash) session.dash.updateSettings(dashSettings(ll));
    updateAddress();
  });
  video.addEventListener('playing', showPlaying);
  video.addEventListener('resize', showPlaying);
  video.addEventListener('waiting', () => session && !gatewayPlayer.error && setStatus(`${session.name} · buffering…`));
  video.addEventListener('error', () => {
    // hls.js and dash.js report media errors themselves; this is for Safari's own HLS.
    if (session && !session.hls && !session.dash && video.error) fail(`video: ${video.error.message || `error code ${video.error.code}`}`);
  });

  setInterval(() => {
    const l = latency();
    $('latency').value = l === null ? '-' : `${l.toFixed(1)} s`;
  }, LATENCY_REFRESH_MS);

  const params = new URLSearchParams(location.search);
  if (params.get('stream')) {
    play(params.get('stream'), params.get('tech') === 'dash' ? 'dash' : 'hls', params.get('ll') === '1');
  }
  refreshStreams();
  setInterval(refreshStreams, STREAMS_REFRESH_MS);
})();
