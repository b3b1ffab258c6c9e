package shard

// The per-slot key index of cluster mode. Redis Cluster asks a node for the keys of
// one hash slot (CLUSTER GETKEYSINSLOT, COUNTKEYSINSLOT) once per slot while it moves
// slots; walking the whole keyspace for each would make a reshard quadratic. With the
// index on (database 0, cluster mode only), each slot lists the positions of its
// entries, kept in step with the swap-removal of the entry array.

// ClusterSlots is the number of Redis Cluster hash slots.
const ClusterSlots = 16384

// HashTag returns the part of key between the first '{' and the next '}' when that part
// is not empty, else the whole key, as Redis Cluster does.
func HashTag(key []byte) []byte { return hashTag(key) }

func hashTag[K ~string | ~[]byte](key K) K {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j == i+1 {
						return key
					}
					return key[i+1 : j]
				}
			}
			return key
		}
	}
	return key
}

// crc16Tables are CRC16-XMODEM's table (poly 0x1021, MSB first) and the table that
// folds a second byte in, so the checksum takes two bytes per step: the polynomial is
// linear, so T[a^b] = T[a]^T[b] and two steps of c = c<<8 ^ T[c>>8 ^ byte] come to
// c = T2[hi ^ b0] ^ T[lo ^ b1]. KeySlot was 5.6% of a cluster node's GET profile.
var crc16T1, crc16T2 = func() (t1, t2 [256]uint16) {
	for i := range t1 {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t1[i] = c
	}
	for i := range t2 {
		t2[i] = t1[i]<<8 ^ t1[t1[i]>>8]
	}
	return t1, t2
}()

func crc16[K ~string | ~[]byte](b K) uint16 {
	var c uint16
	i := 0
	for ; i+1 < len(b); i += 2 {
		c = crc16T2[byte(c>>8)^b[i]] ^ crc16T1[byte(c)^b[i+1]]
	}
	if i < len(b) {
		c = c<<8 ^ crc16T1[byte(c>>8)^b[i]]
	}
	return c
}

// KeySlot is the hash slot of a key: CRC16 (XMODEM) of its hash tag, mod 16384.
func KeySlot(key []byte) int { return int(crc16(hashTag(key)) & (ClusterSlots - 1)) }

func keySlotString(key string) int { return int(crc16(hashTag(key)) & (ClusterSlots - 1)) }

// slotIndex lists, per slot, the positions of the slot's entries in the DB; at says
// where in its slot's list each entry is, so that every change is O(1) however many
// keys a slot holds (hash tags crowd slots).
type slotIndex struct {
	members [ClusterSlots][]uint32
	at      []uint32
}

// add indexes the entry just pushed at position pos.
func (x *slotIndex) add(slot, pos int) {
	x.at = append(x.at[:pos], uint32(len(x.members[slot])))
	x.members[slot] = append(x.members[slot], uint32(pos))
}

// remove drops the entry at pos from its slot's list; the list's last member takes
// its place there.
func (x *slotIndex) remove(slot, pos int) {
	m := x.members[slot]
	k := x.at[pos]
	last := m[len(m)-1]
	m[k] = last
	x.at[last] = k
	x.members[slot] = m[:len(m)-1]
	if len(x.members[slot]) == 0 {
		x.members[slot] = nil
	}
}

// move records that the entry at position from (the DB's last) now sits at to.
func (x *slotIndex) move(slot, from, to int) {
	k := x.at[from]
	x.members[slot][k] = uint32(to)
	x.at[to] = k
}

// pop forgets the DB's last position, after a removal.
func (x *slotIndex) pop() { x.at = x.at[:len(x.at)-1] }

// EnableSlotIndex turns the per-slot index of database 0 on, for cluster mode, and
// builds it from the keys present. It runs before the shard's loop serves anything.
func (s *Shard) EnableSlotIndex() {
	s.slotIndexed = true
	s.dbs[0].buildSlots()
}

func (d *DB) buildSlots() {
	d.slots = &slotIndex{}
	for i := range d.Len() {
		d.slots.add(keySlotString(d.at(i).key), i)
	}
}

// KeysInSlot appends to out up to limit (all when limit < 0) live keys of database 0
// that hash to slot, and returns out with the slot's key count (expired ones not yet
// reclaimed included, as Redis counts them). The index must be on.
func (s *Shard) KeysInSlot(slot, limit int, out [][]byte) ([][]byte, int) {
	d := s.dbs[0]
	if d.slots == nil {
		return out, 0
	}
	m := d.slots.members[slot]
	for _, p := range m {
		if limit >= 0 && len(out) >= limit {
			break
		}
		out = append(out, []byte(d.at(int(p)).key))
	}
	return out, len(m)
}
