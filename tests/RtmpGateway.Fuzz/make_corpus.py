#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into corpus/<target>/ (stdlib only; ffmpeg for the
handshake capture and the AV1 stream). Seeds come from the captures and golden files of the test
projects (all made with the Debian 12 tools, see their Data/README.md), from a fresh ffmpeg capture,
or are spelled out here field by field from the specifications. Never from our own writers.

    python3 tests/RtmpGateway.Fuzz/make_corpus.py          # from the repository root or anywhere

Re-running rewrites the same files (the ffmpeg handshake capture differs in its random bytes).
"""
import json
import os
import socket
import struct
import subprocess
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
RTMP_DATA = os.path.join(TESTS, 'RtmpGateway.Rtmp.Tests', 'Data')
MEDIA_DATA = os.path.join(TESTS, 'RtmpGateway.Media.Tests', 'Data')
PACKAGING_DATA = os.path.join(TESTS, 'RtmpGateway.Packaging.Tests', 'Data')


def write(target, name, data):
    folder = os.path.join(HERE, 'corpus', target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), 'wb') as f:
        f.write(bytes(data))


def read(*path):
    with open(os.path.join(*path), 'rb') as f:
        return f.read()


# --- chunk: control byte (piece pattern) + the client's chunk stream after C2 -----------------------

def chunk_boundaries(stream, chunk_size=128):
    """Offsets where each message of a capture ends (RTMP 1.0 5.3.1; the ffmpeg captures keep chunk
    size 128 and use no extended timestamps)."""
    state, pos, ends = {}, 0, []
    while pos < len(stream):
        fmt, csid = stream[pos] >> 6, stream[pos] & 0x3F
        pos += 1
        if csid == 0:
            csid, pos = stream[pos] + 64, pos + 1
        elif csid == 1:
            csid, pos = stream[pos] + stream[pos + 1] * 256 + 64, pos + 2
        s = state.setdefault(csid, {'len': 0, 'got': 0})
        if fmt in (0, 1):
            s['len'] = int.from_bytes(stream[pos + 3:pos + 6], 'big')
        pos += {0: 11, 1: 7, 2: 3, 3: 0}[fmt]
        take = min(chunk_size, s['len'] - s['got'])
        pos += take
        s['got'] += take
        if s['got'] == s['len']:
            s['got'] = 0
            ends.append(pos)
    return ends


def chunk(fmt, csid, body=b'', timestamp=None, length=None, type_id=None, stream_id=None, extended=None):
    """One chunk, RTMP 1.0 5.3.1: basic header, message header of type fmt, extended timestamp, data."""
    out = bytearray([(fmt << 6) | csid])
    if fmt <= 2:
        out += min(timestamp, 0xFFFFFF).to_bytes(3, 'big')
    if fmt <= 1:
        out += length.to_bytes(3, 'big') + bytes([type_id])
    if fmt == 0:
        out += struct.pack('<I', stream_id)
    if extended is not None:
        out += struct.pack('>I', extended)
    return bytes(out + body)


def amf0_string(text):
    data = text.encode()
    return b'\x02' + struct.pack('>H', len(data)) + data


def amf0_number(value):
    return b'\x00' + struct.pack('>d', value)


def chunk_corpus():
    publish = read(RTMP_DATA, 'ffmpeg-publish-chunks.bin')
    # connect .. publish, @setDataFrame, the avcC and AudioSpecificConfig headers: the first 8 messages.
    head = publish[:chunk_boundaries(publish)[7]]
    write('chunk', 'ffmpeg-publish-head.bin', b'\x2F' + head)
    write('chunk', 'ffmpeg-play.bin', b'\x03' + read(RTMP_DATA, 'ffmpeg-play-chunks.bin'))
    write('chunk', 'ffmpeg-publish-head-bytewise.bin', b'\x00' + head[:600])

    # What the ffmpeg captures lack, from the spec: Set Chunk Size (5.4.1) to 4096; a 300-byte audio
    # message at timestamp 0x01000000, so its type-0 header carries 0xFFFFFF and the Extended
    # Timestamp (5.3.1.3), which the type-3 continuation repeats; Abort (5.4.2) of a half-sent
    # message; an Aggregate (7.1.6) of one audio sub-message; an AMF3 command (type 17).
    out = bytearray()
    out += chunk(0, 2, struct.pack('>I', 4096), 0, 4, 1, 0)
    audio = bytes([0xAF, 0x01]) + bytes(range(256)) + bytes(42)
    out += chunk(0, 4, audio[:4096], 0xFFFFFF, len(audio), 8, 1, extended=0x01000000)
    out += chunk(0, 6, bytes(100), 40, 5000, 9, 1)
    out += chunk(0, 2, struct.pack('>I', 6), 0, 4, 2, 0)
    sub = bytes([0xAF, 0x01, 0x21, 0x10])
    tag = bytes([8]) + len(sub).to_bytes(3, 'big') + (50).to_bytes(3, 'big') + b'\0' + b'\0\0\0' + sub + struct.pack('>I', 11 + len(sub))
    out += chunk(0, 4, tag, 60, len(tag), 22, 1)
    command = b'\x00' + amf0_string('createStream') + amf0_number(2) + b'\x05'
    out += chunk(0, 3, command, 0, len(command), 17, 0)
    write('chunk', 'spec-control-extended-aggregate.bin', b'\x16' + out)

    # The same audio message at chunk size 128: the Extended Timestamp repeated on each type-3 chunk.
    out = bytearray(chunk(0, 4, audio[:128], 0xFFFFFF, len(audio), 8, 1, extended=0x01000000))
    for at in range(128, len(audio), 128):
        out += chunk(3, 4, audio[at:at + 128], extended=0x01000000)
    write('chunk', 'spec-extended-timestamp-type3.bin', b'\x0B' + out)


# --- handshake: control byte + C0 C1 C2 -------------------------------------------------------------

def capture_ffmpeg_handshake():
    """C0+C1 (digest scheme) and C2 as ffmpeg sends them to a server that answers in the simple scheme."""
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(1)
    port = server.getsockname()[1]
    got = {}

    def serve():
        conn, _ = server.accept()
        data = b''
        while len(data) < 1537:
            data += conn.recv(65536)
        c0c1 = data[:1537]
        s1 = bytes(8) + bytes((i * 7) & 0xFF for i in range(1528))
        conn.sendall(b'\x03' + s1 + c0c1[1:])
        data = data[1537:]
        while len(data) < 1536:
            data += conn.recv(65536)
        got['bytes'] = c0c1 + data[:1536]
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    subprocess.run(['ffmpeg', '-v', 'quiet', '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=5', '-t', '0.4',
                    '-c:v', 'libx264', '-f', 'flv', f'rtmp://127.0.0.1:{port}/live/seed'], timeout=30, check=False)
    thread.join(timeout=30)
    server.close()
    return got['bytes']


def handshake_corpus():
    write('handshake', 'ffmpeg-digest.bin', b'\x07' + capture_ffmpeg_handshake())
    # RTMP 1.0 5.2.2/5.2.3, simple scheme: C0 = 3; C1 = time (4), zero (4), random (1528); C2 echoes S1.
    c1 = struct.pack('>I', 1000) + bytes(4) + bytes((i * 13 + 5) & 0xFF for i in range(1528))
    c2 = struct.pack('>II', 0, 1000) + bytes((i * 31) & 0xFF for i in range(1528))
    write('handshake', 'spec-simple.bin', b'\x3A' + b'\x03' + c1 + c2)
    # A chunk (connect) right behind C2 in the same read, as real clients send it.
    write('handshake', 'spec-simple-then-connect.bin', b'\x05' + b'\x03' + c1 + c2 + read(RTMP_DATA, 'ffmpeg-play-chunks.bin')[:64])


# --- amf0 / amf3: message bodies --------------------------------------------------------------------

def amf0_corpus():
    for capture in ('publish', 'play'):
        with open(os.path.join(RTMP_DATA, f'ffmpeg-{capture}-messages.txt')) as f:
            for line in f:
                fields = dict(kv.split('=', 1) for kv in line.split()[:-1] if '=' in kv)
                if fields.get('type') in ('18', '20'):
                    name = fields['name'].lstrip('@')
                    write('amf0', f'ffmpeg-{capture}-{name}.bin', bytes.fromhex(line.split()[-1]))
    # AMF0 spec 2.9 reference, 2.12 strict array, 2.13 date, 2.14 long string, 2.17 XML, 2.18 typed
    # object, 3.1 avmplus-object: an object that refers to itself, then one of each.
    body = (b'\x03' + b'\x00\x04self' + b'\x07\x00\x00' + b'\x00\x00\x09'
            + b'\x0A\x00\x00\x00\x02' + amf0_number(1) + b'\x01\x01'
            + b'\x0B' + struct.pack('>d', 1e12) + b'\x00\x00'
            + b'\x0C' + struct.pack('>I', 5) + b'hello'
            + b'\x0F' + struct.pack('>I', 7) + b'<a></a>'
            + b'\x10\x00\x01P' + b'\x00\x01x' + amf0_number(2) + b'\x00\x00\x09'
            + b'\x11' + b'\x0A\x0B\x01\x03a\x04\x01\x01'
            + b'\x06')
    write('amf0', 'spec-every-type.bin', body)


def amf3_corpus():
    # AMF3 spec (January 2013) section 3, as in Amf3GoldenTests: one file per family of types.
    seeds = {
        # integer (U29, 1..4 bytes), double, strings and a string reference, XML, XMLDocument, date
        'spec-scalars': '04 7F 04 FFFF7F 04 BFFFFFFF 05 3FF8000000000000 06 0B 68656C6C6F 06 00 '
                        '0B 0F 3C613E3C2F613E 07 0F 3C613E3C2F613E 08 01 426D1A94A2000000',
        # dense array, associative + dense array, and an object reference to the first
        'spec-arrays': '09 05 01 04 01 06 03 78 09 03 03 6B 03 01 01 09 00',
        # anonymous dynamic object; sealed class P {x, y}; a second P through traits reference 1
        'spec-objects': '0A 0B 01 03 61 04 01 01 0A 23 03 50 03 78 03 79 04 01 04 02 0A 05 04 03 04 04',
        # ByteArray, Vector.<int>, Vector.<uint>, Vector.<Number>, Vector.<Object>, Dictionary
        'spec-vectors-dictionary': '0C 07 010203 0D 05 00 00000001 FFFFFFFF 0E 03 01 00000002 '
                                   '0F 03 00 3FF0000000000000 10 03 00 03 2A 04 05 11 03 00 06 03 6B 04 01',
    }
    for name, text in seeds.items():
        write('amf3', name + '.bin', bytes.fromhex(text.replace(' ', '')))
    # RTMP type 17/15 bodies: format byte 0, then AMF0 values with avmplus-object switches (0x11).
    command = (b'\x00' + amf0_string('connect') + amf0_number(1)
               + b'\x11' + bytes.fromhex('0A0B01') + b'\x07app' + b'\x06\x09live' + b'\x01')
    write('amf3', 'spec-amf3-command.bin', command)
    data = (b'\x00' + amf0_string('@setDataFrame') + amf0_string('onMetaData')
            + b'\x11' + bytes.fromhex('0A0B01') + b'\x0Bwidth' + b'\x04\x82\x00' + b'\x0Fencoder' + b'\x06\x07x26'
            + b'\x01')
    write('amf3', 'spec-amf3-metadata.bin', data)


# --- flv: whole FLV files -----------------------------------------------------------------------------

def flv_tags(data):
    pos = struct.unpack('>I', data[5:9])[0] + 4
    while pos + 11 <= len(data):
        size = int.from_bytes(data[pos + 1:pos + 4], 'big')
        yield data[pos:pos + 11 + size + 4]
        pos += 11 + size + 4


def flv_tag(kind, timestamp, body):
    return (bytes([kind]) + len(body).to_bytes(3, 'big') + (timestamp & 0xFFFFFF).to_bytes(3, 'big')
            + bytes([(timestamp >> 24) & 0xFF]) + b'\0\0\0' + body + struct.pack('>I', 11 + len(body)))


def flv_head(data, count):
    return data[:13] + b''.join(list(flv_tags(data))[:count])


def enhanced_flv_from_mp4(mp4, fourcc, box, frames):
    """Enhanced RTMP v1 video tags from an MP4, as make-hevc-flv.py in Packaging.Tests/Data does: a
    SequenceStart with the sample entry's config box, then CodedFrames (PacketType 1; for hvc1 with
    the SI24 CompositionTime) carrying the samples byte for byte."""
    data = read(mp4)
    at = data.index(box)
    config = data[at + 4:at - 4 + struct.unpack('>I', data[at - 4:at])[0]]
    probe = json.loads(subprocess.check_output(
        ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_packets', '-show_entries',
         'packet=pts,dts,flags,pos,size:stream=time_base', '-show_streams', '-of', 'json', mp4]))
    num, den = map(int, probe['streams'][0]['time_base'].split('/'))
    packets = probe['packets'][:frames]
    first = int(packets[0]['dts'])
    out = bytearray(b'FLV\x01\x01\x00\x00\x00\x09' + b'\0\0\0\0')
    out += flv_tag(9, 0, bytes([0x80 | 0x10 | 0]) + fourcc + config)
    for p in packets:
        body = data[int(p['pos']):int(p['pos']) + int(p['size'])]
        key = 'K' in p['flags']
        dts = (int(p['dts']) - first) * num * 1000 // den
        pts = (int(p['pts']) - first) * num * 1000 // den
        cts = (pts - dts).to_bytes(3, 'big', signed=True) if fourcc == b'hvc1' else b''
        out += flv_tag(9, dts, bytes([0x80 | ((1 if key else 2) << 4) | 1]) + fourcc + cts + body)
    return bytes(out)


def ffmpeg(*args):
    subprocess.run(['ffmpeg', '-v', 'error', '-y', *args], check=True)


def flv_corpus():
    with tempfile.TemporaryDirectory() as tmp:
        # Small pictures keep the frames to a few hundred bytes: afl-fuzz mutates short inputs faster.
        h264_path = os.path.join(tmp, 'h264.flv')
        ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-f', 'lavfi', '-i', 'sine=sample_rate=22050',
               '-t', '0.5', '-c:v', 'libx264', '-g', '3', '-bf', '2', '-c:a', 'aac', '-ac', '1', '-f', 'flv', h264_path)
        h264 = read(h264_path)
        write('flv', 'ffmpeg-h264-aac.flv', flv_head(h264, 10))
        # The same stream re-framed as Enhanced RTMP 'avc1': SequenceStart, then CodedFrames (SI24 cts).
        out = bytearray(h264[:13])
        for tag in list(flv_tags(h264))[:10]:
            body = tag[11:-4]
            if tag[0] == 9 and body[0] & 0x0F == 7:
                packet = 0 if body[1] == 0 else 1
                ex = bytes([0x80 | ((body[0] >> 4) << 4) | packet]) + b'avc1' + (body[2:5] if packet == 1 else b'') + body[5:]
                tag = flv_tag(9, int.from_bytes(tag[4:7], 'big'), ex)
            out += tag
        write('flv', 'ffmpeg-h264-aac-enhanced-avc1.flv', out)
        hevc = os.path.join(tmp, 'hevc.mp4')
        ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-t', '0.5', '-c:v', 'libx265',
               '-x265-params', 'log-level=error:keyint=3', '-tag:v', 'hvc1', '-f', 'mp4', hevc)
        write('flv', 'x265-hevc-enhanced.flv', enhanced_flv_from_mp4(hevc, b'hvc1', b'hvcC', 5))
        av1 = os.path.join(tmp, 'av1.mp4')
        ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-t', '0.5', '-c:v', 'libaom-av1',
               '-cpu-used', '8', '-b:v', '50k', '-g', '3', '-f', 'mp4', av1)
        write('flv', 'libaom-av1-enhanced.flv', enhanced_flv_from_mp4(av1, b'av01', b'av1C', 5))
    write('flv', 'ffmpeg-aac-96k.flv', flv_head(read(PACKAGING_DATA, 'aac96k.flv'), 4))


# --- avcc (avcC, H.264 SPS, hvcC, H.265 SPS, av1C) and asc ------------------------------------------

def avcc_corpus():
    # The x264 records of Media.Tests TestSupport.Golden (commands there) and the FLV's own.
    records = {
        'x264-main-1080': '014d4028ffe1001a674d4028eca03c0113f2e022000003000200000300641e30632c01000568ebe3cb20',
        'x264-baseline-360': '0142c01effe100196742c01ed900a02ff970110000030001000003003c0f162e4801000568cb83cb20',
        'x264-high444': '01f4001effe1001967f4001e919b281407b60220000003002000000641e2c5b2c001000668ebe3c44844fff8f800',
        'x264-high10': '016e001fffe1001a676e001fa6cd940a02ff970110000003001000000780f183196001000668ebe3cb22c0fdfafa00',
        'x264-interlaced-1080': '01640028ffe1001a67640028acd94078044fde0220000003002000000643e2c5b2c001000668fba3cb22c0fdf8f800',
        'x264-sar-720x576': '0164001effe1001d6764001eacd940b4126ffc0040003c40000003004000000c83c58b658001000668ebe3cb22c0fdf8f800',
    }
    for name, text in records.items():
        record = bytes.fromhex(text)
        write('avcc', f'{name}.avcC', record)
        sps_length = struct.unpack('>H', record[6:8])[0]
        write('avcc', f'{name}.sps', record[8:8 + sps_length])
    h264 = read(MEDIA_DATA, 'h264_720p_high_aac.flv')
    video = next(t for t in flv_tags(h264) if t[0] == 9)
    write('avcc', 'x264-high-720p.avcC', video[11 + 5:-4])
    hvcc = read(MEDIA_DATA, 'hevc_720p.hvcC')
    write('avcc', 'x265-720p.hvcC', hvcc)
    # hvcC arrays (ISO/IEC 14496-15 8.3.3.1) start at byte 23: the SPS NAL unit is in the array of type 33.
    pos, arrays = 23, hvcc[22]
    for _ in range(arrays):
        nal_type, count = hvcc[pos] & 0x3F, struct.unpack('>H', hvcc[pos + 1:pos + 3])[0]
        pos += 3
        for _ in range(count):
            length = struct.unpack('>H', hvcc[pos:pos + 2])[0]
            if nal_type == 33:
                write('avcc', 'x265-720p.hevc-sps', hvcc[pos + 2:pos + 2 + length])
            pos += 2 + length
    write('avcc', 'libaom-360.av1C', bytes.fromhex('81010c000a0b0000000cc4ff6736be4010'))


def asc_corpus():
    # Media.Tests AudioSpecificConfigTests: ffmpeg's aac encoder (LC), the 2.1 PCE config, and the
    # 14496-3 1.6.2.1 syntax for explicit HE-AAC, HE-AACv2 and an escaped object type.
    seeds = {
        'ffmpeg-lc-44100-stereo': '121056e500',
        'ffmpeg-lc-48000-mono': '118856e500',
        'ffmpeg-lc-2.1-pce': '12000504010020000d4c61766335392e33372e31303056e500',
        'spec-he-aac': '2b118800',
        'spec-he-aac-v2': 'eb098800',
        'spec-escaped-aot-42': 'f94840',
    }
    for name, text in seeds.items():
        write('asc', name + '.asc', bytes.fromhex(text))
    h264 = read(MEDIA_DATA, 'h264_720p_high_aac.flv')
    audio = next(t for t in flv_tags(h264) if t[0] == 8)
    write('asc', 'ffmpeg-flv-sequence-header.asc', audio[11 + 2:-4])


if __name__ == '__main__':
    chunk_corpus()
    handshake_corpus()
    amf0_corpus()
    amf3_corpus()
    flv_corpus()
    avcc_corpus()
    asc_corpus()
