package persist

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/basaltdb/basalt/shard"
)

// DUMP payloads: one value in RDB form, then the RDB version as two bytes and the
// CRC-64 of everything before it, both little endian. RESTORE accepts payloads of any
// version this package reads, which lets values move from newer servers too.

// DumpVersion is the RDB version stamped on DUMP payloads: 10, so that redis-server 7.0
// can RESTORE what Basalt dumps.
const DumpVersion = 10

// ErrPayload is returned by DecodePayload when the version or checksum footer is wrong.
var ErrPayload = errors.New("DUMP payload version or checksum are wrong")

// AppendPayload appends the DUMP payload of o (its TTL is not part of it) to dst.
func AppendPayload(dst []byte, o *shard.Object) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0)
	t, dst, err := appendValue(dst, o, Options{Version: DumpVersion})
	if err != nil {
		return nil, err
	}
	dst[start] = t
	dst = binary.LittleEndian.AppendUint16(dst, DumpVersion)
	return binary.LittleEndian.AppendUint64(dst, crcUpdate(0, dst[start:])), nil
}

// MaxPayloadVersion is the newest payload RESTORE takes: Redis 7.2's RDB version 11
// (redis-server 7.0 stops at 10). Unlike a file, a payload's checksum is always checked.
const MaxPayloadVersion = 11

// CheckPayload verifies a payload's footer: a version up to MaxPayloadVersion and a
// matching CRC.
func CheckPayload(p []byte) error {
	if len(p) < 10 {
		return ErrPayload
	}
	body := p[:len(p)-8]
	v := binary.LittleEndian.Uint16(body[len(body)-2:])
	if v > MaxPayloadVersion {
		return ErrPayload
	}
	if binary.LittleEndian.Uint64(p[len(p)-8:]) != crcUpdate(0, body) {
		return ErrPayload
	}
	return nil
}

// DecodePayload rebuilds the value of a DUMP payload under settings. It returns
// ErrPayload for a bad footer, and an *Error for a malformed value (RESTORE answers
// "Bad data format"); an empty collection is malformed too.
func DecodePayload(p []byte, settings *shard.Settings) (shard.Object, error) {
	if err := CheckPayload(p); err != nil {
		return shard.Object{}, err
	}
	body := p[:len(p)-10]
	d := &Decoder{Settings: settings, version: int(binary.LittleEndian.Uint16(p[len(p)-10:]))}
	d.r = bufio.NewReaderSize(bytes.NewReader(body), 4096)
	t, err := d.readByte()
	if err != nil {
		return shard.Object{}, err
	}
	o, ok, err := d.readValue(t, 0)
	if err != nil {
		return shard.Object{}, err
	}
	if !ok {
		return shard.Object{}, &Error{Offset: 0, Msg: "empty collection"}
	}
	return o, nil
}
