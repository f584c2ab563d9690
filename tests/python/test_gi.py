#!/usr/bin/python3
"""RtmpCore-1.0 from Python: build AMF values, encode and decode them, and
chunk a message through the writer and back through the reader."""
import sys

import gi

try:
    gi.require_version("RtmpCore", "1.0")
    from gi.repository import GLib, RtmpCore
except (ImportError, ValueError) as e:
    print("1..0 # SKIP RtmpCore-1.0 typelib not loadable: %s" % e)
    sys.exit(77)

results = []


def check(name, cond):
    results.append((name, bool(cond)))


def test_amf_round_trip():
    obj = RtmpCore.AmfValue.new_object()
    obj.set_field("app", RtmpCore.AmfValue.new_string("live"))
    obj.set_field("objectEncoding", RtmpCore.AmfValue.new_number(0.0))
    arr = RtmpCore.AmfValue.new_strict_array()
    arr.append(RtmpCore.AmfValue.new_string("hvc1"))
    arr.append(RtmpCore.AmfValue.new_boolean(True))
    obj.set_field("fourCcList", arr)

    data = obj.to_amf0().get_data()
    # 03 = object, then "app" as a 2-byte length + bytes, then 02 = string.
    check("amf0 object starts with its marker and first key",
          data[:7] == bytes([0x03, 0x00, 0x03]) + b"app" + bytes([0x02]))
    check("amf0 object ends with 00 00 09", data[-3:] == bytes([0, 0, 9]))

    back = RtmpCore.AmfValue.from_amf0(GLib.Bytes.new(data))
    check("decoded kind is object", back.get_kind() == RtmpCore.AmfType.OBJECT)
    check("decoded string field", back.get_field("app").get_string() == "live")
    check("decoded array element",
          back.get_field("fourCcList").get_element(0).get_string() == "hvc1")
    check("deep equality", back.equal(obj))


def test_chunked_message_round_trip():
    payload = bytes(range(256)) * 40  # 10240 bytes: several chunks
    msg = RtmpCore.Message.new(RtmpCore.MessageType.VIDEO, 6, 1, 0x01020304,
                               GLib.Bytes.new(payload))
    writer = RtmpCore.ChunkWriter.new()
    writer.set_chunk_size(4096)
    wire = writer.write_bytes(msg).get_data()
    # Three chunks. The timestamp needs the extended field: a 12-byte type 0
    # header plus 4, then two type 3 headers that repeat the 4 bytes.
    check("chunked size", len(wire) == len(payload) + (12 + 4) + 2 * (1 + 4))
    check("type 0 basic header for csid 6", wire[0] == 0x06)

    reader = RtmpCore.ChunkReader.new()
    reader.set_chunk_size(4096)
    out = reader.feed_bytes(GLib.Bytes.new(wire))
    check("one message back", len(out) == 1)
    m = out[0]
    check("type", m.type == RtmpCore.MessageType.VIDEO)
    check("stream id", m.stream_id == 1)
    check("timestamp", m.timestamp == 0x01020304)
    check("payload bytes", m.get_payload().get_data() == payload)


def test_error_domain():
    reader = RtmpCore.ChunkReader.new()
    try:
        # A type 1 header on a chunk stream with no previous header.
        reader.feed_bytes(GLib.Bytes.new(bytes([0x43, 0, 0, 0, 0, 0, 4, 9])))
        check("protocol error raised", False)
    except GLib.Error as e:
        check("protocol error raised",
              e.matches(RtmpCore.error_quark(), RtmpCore.Error.PROTOCOL))


for fn in (test_amf_round_trip, test_chunked_message_round_trip, test_error_domain):
    try:
        fn()
    except Exception as e:  # report as a failed check, keep going
        check("%s raised %r" % (fn.__name__, e), False)

print("1..%d" % len(results))
for i, (name, ok) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
sys.exit(0 if all(ok for _, ok in results) else 1)
