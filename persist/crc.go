package persist

import "hash/crc64"

// RDB files and DUMP payloads end with a CRC-64 in the Jones variant: polynomial
// 0xad93d23594c935a9, reflected, initial value 0, no final xor. hash/crc64 takes the
// reflected polynomial and inverts the register on entry and exit; inverting around the
// call undoes both, which leaves the plain register Redis computes.

// jonesReflected is the Jones polynomial in the bit order hash/crc64 expects.
const jonesReflected = 0x95ac9329ac4bc9b5

var crcTable = crc64.MakeTable(jonesReflected)

// crcUpdate continues crc over p.
func crcUpdate(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, crcTable, p)
}

// crcByte continues crc over one byte, without the call overhead of crcUpdate.
func crcByte(crc uint64, b byte) uint64 {
	return crcTable[byte(crc)^b] ^ crc>>8
}
