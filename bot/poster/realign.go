package poster

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// realign copies one font out of an sfnt file (a TTF/OTF, or member index of a TTC) into a new
// standalone font whose tables start on 4-byte boundaries.
//
// golang.org/x/image/font/sfnt rejects tables at unaligned offsets, as the OpenType spec asks,
// but Debian's fonts-wqy-microhei (the most common small CJK font) has them: without this copy
// the obvious font for a Debian image fails with "sfnt: invalid table offset". Checksums are not
// recomputed; sfnt ignores them.
func realign(data []byte, index int) ([]byte, error) {
	be := binary.BigEndian
	base := 0
	if len(data) >= 12 && string(data[:4]) == "ttcf" {
		n := int(be.Uint32(data[8:12]))
		if index < 0 || index >= n || len(data) < 12+4*n {
			return nil, fmt.Errorf("font %d of a collection of %d", index, n)
		}
		base = int(be.Uint32(data[12+4*index:]))
	} else if index != 0 {
		return nil, errors.New("not a font collection")
	}
	if base < 0 || len(data) < base+12 {
		return nil, errors.New("truncated font header")
	}
	numTables := int(be.Uint16(data[base+4:]))
	dir := base + 12
	if numTables == 0 || len(data) < dir+16*numTables {
		return nil, errors.New("truncated table directory")
	}

	size := 12 + 16*numTables
	for i := range numTables {
		rec := data[dir+16*i:]
		off, length := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if off < 0 || length < 0 || off+length > len(data) {
			return nil, fmt.Errorf("table %q outside the file", rec[:4])
		}
		size += (length + 3) &^ 3
	}

	out := make([]byte, size)
	copy(out[:4], data[base:base+4]) // sfnt version: TrueType or OTTO
	be.PutUint16(out[4:], uint16(numTables))
	// searchRange, entrySelector and rangeShift as the spec defines them.
	sel := 0
	for 1<<(sel+1) <= numTables {
		sel++
	}
	be.PutUint16(out[6:], uint16(16<<sel))
	be.PutUint16(out[8:], uint16(sel))
	be.PutUint16(out[10:], uint16(16*numTables-16<<sel))

	pos := 12 + 16*numTables
	for i := range numTables {
		rec := data[dir+16*i:]
		off, length := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		orec := out[12+16*i:]
		copy(orec[:8], rec[:8]) // tag and checksum
		be.PutUint32(orec[8:], uint32(pos))
		be.PutUint32(orec[12:], uint32(length))
		copy(out[pos:], data[off:off+length])
		pos += (length + 3) &^ 3
	}
	return out, nil
}
