package persist

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
)

// FUNCTION DUMP payloads: one RDB_OPCODE_FUNCTION2 record per library (the opcode, then
// the library's code as an RDB string), then the same footer as a DUMP payload (RDB
// version and CRC-64), so redis-server and Basalt can restore each other's dumps.

// ErrNotFunction is returned by DecodeFunctionPayload for a record that is not a
// function library.
var ErrNotFunction = errors.New("given type is not a function")

// ErrFunctionRecord is returned by DecodeFunctionPayload for a library record that
// cannot be read.
var ErrFunctionRecord = errors.New("failed loading library payload")

// AppendFunctionPayload appends the FUNCTION DUMP payload of the libraries' code to dst.
func AppendFunctionPayload(dst []byte, libs [][]byte) []byte {
	start := len(dst)
	for _, code := range libs {
		dst = appendString(append(dst, opFunction2), code, true)
	}
	dst = binary.LittleEndian.AppendUint16(dst, DumpVersion)
	return binary.LittleEndian.AppendUint64(dst, crcUpdate(0, dst[start:]))
}

// DecodeFunctionPayload returns the libraries' code in a FUNCTION DUMP payload. It
// returns ErrPayload for a bad footer, ErrNotFunction or ErrFunctionRecord for a bad
// record.
func DecodeFunctionPayload(p []byte) ([][]byte, error) {
	if err := CheckPayload(p); err != nil {
		return nil, err
	}
	// Like redis-server, read records from the whole payload until only the footer is
	// left, so a record whose length runs into the footer reads footer bytes rather than
	// failing.
	end := int64(len(p) - 10)
	d := &Decoder{version: int(binary.LittleEndian.Uint16(p[end:]))}
	d.r = bufio.NewReader(bytes.NewReader(p))
	var libs [][]byte
	for d.off < end {
		op, err := d.readByte()
		if err != nil {
			return nil, ErrFunctionRecord
		}
		if op != opFunction2 {
			return nil, ErrNotFunction
		}
		code, err := d.readString()
		if err != nil {
			return nil, ErrFunctionRecord
		}
		libs = append(libs, code)
	}
	return libs, nil
}
