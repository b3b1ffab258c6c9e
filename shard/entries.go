package shard

// entryArray is a DB's dense array of entries, kept in chunks of entryChunk entries.
//
// Why chunks: a growing slice copies every entry each time it outgrows its capacity (at
// a million 88-byte entries, an 88 MB copy that stalls the shard, and 4x the final size
// allocated over the growth) and leaves up to a quarter of it unused. Chunks never move
// and waste at most one chunk. The first chunk grows like a slice, so a DB holding a few
// keys does not pay for a whole chunk. Chunks are large (5.6 MB) because lookups in 1M
// keys measured 35% slower with 88 KB chunks than with one array, and as fast with these.
type entryArray struct {
	chunks [][]entry
	n      int
}

const (
	entryChunkBits = 16
	entryChunk     = 1 << entryChunkBits
)

// at returns the entry at position i < n.
func (a *entryArray) at(i int) *entry {
	return &a.chunks[i>>entryChunkBits][i&(entryChunk-1)]
}

// push appends e.
func (a *entryArray) push(e entry) {
	c := a.n >> entryChunkBits
	if c == len(a.chunks) {
		size := entryChunk
		if c == 0 {
			size = 4
		}
		a.chunks = append(a.chunks, make([]entry, 0, size))
	}
	ch := a.chunks[c]
	if len(ch) == cap(ch) {
		// Only the first chunk grows; it stops at entryChunk.
		grown := make([]entry, len(ch), min(max(2*cap(ch), 4), entryChunk))
		copy(grown, ch)
		ch = grown
	}
	a.chunks[c] = append(ch, e)
	a.n++
}

// pop removes the last entry. An emptied chunk is kept as a spare, so that a DB size
// hovering around a chunk boundary does not allocate a chunk per insertion; a second
// empty chunk is freed.
func (a *entryArray) pop() {
	a.n--
	c := a.n >> entryChunkBits
	ch := a.chunks[c]
	ch[len(ch)-1] = entry{}
	a.chunks[c] = ch[:len(ch)-1]
	if last := len(a.chunks) - 1; last > c && len(a.chunks[c]) == 0 {
		a.chunks[last] = nil
		a.chunks = a.chunks[:last]
	}
}

// spare returns the number of allocated entries not in use. Every chunk but the first
// has entryChunk entries.
func (a *entryArray) spare() int {
	if len(a.chunks) == 0 {
		return 0
	}
	return cap(a.chunks[0]) + (len(a.chunks)-1)*entryChunk - a.n
}
