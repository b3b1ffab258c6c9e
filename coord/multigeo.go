package coord

import (
	"slices"
	"strings"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Coordinator part of the geo searches that store: GEOSEARCHSTORE, and GEORADIUS and
// GEORADIUSBYMEMBER with STORE or STOREDIST, when the destination lives on another
// shard than the source. The search runs on the source's shard and yields copies of
// the matches; the store happens on the destination's shard in the last hop.

// georadiusKeys returns the keysFn of GEORADIUS (options from argument 6 on) or
// GEORADIUSBYMEMBER (from 5). It lists the keys as redis-server's COMMAND GETKEYS does,
// from the key specs: the source, the word after the first STORE, the word after the
// first STOREDIST. The destination the command really writes is the word after the
// last of them, which the specs miss when one keyword is repeated; it is added then,
// so that the command is routed to, and claims, the shard it writes.
func georadiusKeys(optionsAt int) func(a [][]byte) []int {
	return func(a [][]byte) []int {
		pos := []int{1}
		for _, word := range []string{"store", "storedist"} {
			for i := optionsAt; i < len(a)-1; i++ {
				if strings.EqualFold(string(a[i]), word) {
					pos = append(pos, i+1)
					break
				}
			}
		}
		written := 0
		for i := optionsAt; i < len(a)-1; i++ {
			if w := string(a[i]); strings.EqualFold(w, "store") || strings.EqualFold(w, "storedist") {
				written = i + 1
				i++
			}
		}
		if written > 0 && !slices.Contains(pos, written) {
			pos = append(pos, written)
		}
		return pos
	}
}

// geoSearchStoreMulti runs a geo search on its source's shard, then stores the result
// on the destination's; a search that turns out not to store (or fails) answers from
// the first hop.
func geoSearchStoreMulti(t *txn, _ *Command, args [][]byte) {
	src := args[1]
	if strings.EqualFold(string(args[0]), "geosearchstore") {
		src = args[2]
	}
	var r *shard.GeoResult
	t.hop([]int{t.cl.srv.shardOf(src)}, func(sh *shard.Shard, _ int) {
		r = sh.GeoSearch(args)
	}, func() {
		if r.Err() != "" || r.StoreKey() == nil {
			t.answer(r.Write)
			return
		}
		dst := r.StoreKey()
		var n int
		t.last([]int{t.cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
			n = sh.GeoStore(r)
		}, func(w *proto.Writer) { w.Int(int64(n)) })
	})
}
