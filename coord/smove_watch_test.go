package coord_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// SMOVE of a member the destination already holds removes it from the source but leaves
// the destination unchanged: as in Redis, a WATCH on the destination stays valid and a
// tracking client of the destination gets no invalidation. Checked with both keys on one
// shard (a hash tag) and, with four shards, on two.
func TestSmoveUnchangedDestination(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	for _, keys := range [][2]string{{"src{t}", "dst{t}"}, {"src-a", "dst-b"}} {
		src, dst := keys[0], keys[1]
		t.Run(fmt.Sprintf("%s-%s", src, dst), func(t *testing.T) {
			a, b := newClient(t, addr), newClient(t, addr)
			a.Del(ctx, src, dst)
			a.SAdd(ctx, src, "a", "b")
			a.SAdd(ctx, dst, "a")
			err := a.Watch(ctx, func(tx *redis.Tx) error {
				if n := b.SMove(ctx, src, dst, "a").Val(); !n {
					t.Fatal("SMOVE did not move")
				}
				_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.SAdd(ctx, dst, "c")
					return nil
				})
				return err
			}, dst)
			if err != nil {
				t.Fatalf("EXEC after an SMOVE that left %s unchanged: %v", dst, err)
			}
			if n := a.SCard(ctx, dst).Val(); n != 2 {
				t.Fatalf("SCARD %s = %d, want 2", dst, n)
			}
			if m := a.SMembers(ctx, src).Val(); len(m) != 1 || m[0] != "b" {
				t.Fatalf("SMEMBERS %s = %v, want [b]", src, m)
			}
			// A real change to the destination still aborts the transaction.
			err = a.Watch(ctx, func(tx *redis.Tx) error {
				b.SMove(ctx, src, dst, "b")
				_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.SAdd(ctx, dst, "d")
					return nil
				})
				return err
			}, dst)
			if err != redis.TxFailedErr {
				t.Fatalf("EXEC after an SMOVE that added to %s: %v, want TxFailedErr", dst, err)
			}
		})
	}
}
