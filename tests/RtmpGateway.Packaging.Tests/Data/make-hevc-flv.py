#!/usr/bin/env python3
"""Makes hevc.flv (Enhanced RTMP v1 'hvc1' video tags) from an x265 MP4, because FFmpeg 5.1 cannot write
HEVC into FLV. The samples and the hvcC record are copied byte for byte; timestamps are the MP4's, in ms, moved so the
first DTS is 0.

    ffmpeg -f lavfi -i testsrc2=size=320x180:rate=25 -t 2 -c:v libx265 \
        -x265-params log-level=error:keyint=25 -b:v 150k -tag:v hvc1 hevc.mp4
    python3 make-hevc-flv.py hevc.mp4 hevc.flv
"""
import json, struct, subprocess, sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
at = data.index(b'hvcC')
size = struct.unpack('>I', data[at - 4:at])[0]
hvcc = data[at + 4:at - 4 + size]

probe = json.loads(subprocess.check_output(
    ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_packets', '-show_entries',
     'packet=pts,dts,flags,pos,size:stream=time_base', '-show_streams', '-of', 'json', src]))
num, den = map(int, probe['streams'][0]['time_base'].split('/'))

def ms(t):
    return (t * num * 1000) // den

def tag(kind, timestamp, body):
    header = bytes([kind]) + len(body).to_bytes(3, 'big') + (timestamp & 0xFFFFFF).to_bytes(3, 'big') \
        + bytes([(timestamp >> 24) & 0xFF]) + b'\0\0\0'
    return header + body + struct.pack('>I', 11 + len(body))

out = bytearray(b'FLV\x01\x01\x00\x00\x00\x09' + b'\0\0\0\0')  # video only
# ExVideoTagHeader: IsExHeader 1 | FrameType 1 (key) | PacketType 0 (SequenceStart), FourCC 'hvc1'
out += tag(9, 0, bytes([0x80 | 0x10 | 0]) + b'hvc1' + hvcc)
first = int(probe['packets'][0]['dts'])  # x265 with B-frames starts at a negative DTS; FLV time starts at 0
for p in probe['packets']:
    key = 'K' in p['flags']
    dts, pts = int(p['dts']) - first, int(p['pts']) - first
    body = data[int(p['pos']):int(p['pos']) + int(p['size'])]
    cts = ms(pts) - ms(dts)
    # PacketType 1 (CodedFrames): SI24 CompositionTime, then the length-prefixed NAL units
    out += tag(9, ms(dts), bytes([0x80 | ((1 if key else 2) << 4) | 1]) + b'hvc1'
               + (cts & 0xFFFFFF).to_bytes(3, 'big') + body)
open(dst, 'wb').write(out)
