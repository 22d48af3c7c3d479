package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// SQLite lets one writer in at a time. Writers of one process that contend
// for the lock wait in SQLite's busy handler, which sleeps in steps of 1 to
// 100 ms whatever the lock's holder does, so most of their time goes to
// sleeping; and every transaction pays its own commit, an fsync of the
// write-ahead log. A SQLite store therefore sends every write through one
// writer, which runs the writes that arrive while another batch commits as
// the next batch: one immediate transaction, each write in a savepoint of
// its own, one commit for all (group commit). No connection of the process
// waits in the busy handler; only another process writing the same file
// makes it wait, as the busy timeout allows.
//
// The writer has no goroutine of its own. A caller that finds it idle leads:
// it runs the queue as a batch, then hands the lead to the first caller that
// queued meanwhile, if any, and returns. The others wait for their result,
// or for the lead.

// maxBatch is the most writes one transaction groups.
const maxBatch = 128

// savepoint is the name of the savepoint of each write of a batch; one is
// released before the next is made.
const savepoint = "licgate_write"

// writer runs the writes of a SQLite store in batches.
type writer struct {
	s *Store

	mu    sync.Mutex
	busy  bool    // a leader is running a batch, or is about to
	queue []*call // writes waiting for a batch, oldest first
}

// callState says where a call is; it is guarded by writer.mu.
type callState int

const (
	queued  callState = iota // in the queue
	leading                  // in the queue, chosen to lead the next batch
	taken                    // in a batch
)

// call is one write waiting for, or running in, a batch.
type call struct {
	ctx context.Context
	fn  func(c *conn) error
	// wake receives true when the call is to lead the next batch, or false
	// once err is set.
	wake  chan bool
	state callState
	err   error
	// panicked is what fn panicked with, to panic again in the caller's
	// goroutine.
	panicked any
}

// batch is the state of one transaction of the writer.
type batch struct {
	err error // an error after which the transaction cannot be trusted
}

// fail records err as the end of the batch's transaction.
func (b *batch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// failed returns the error that ended the batch's transaction, if any. A
// nil batch has not failed.
func (b *batch) failed() error {
	if b == nil {
		return nil
	}
	return b.err
}

// errPanicked is the result of a call whose fn panicked, in the batch.
var errPanicked = errors.New("sqlstore: write panicked")

// errAborted is the result of the calls of a batch that its leader left
// unfinished: a function of the batch called runtime.Goexit.
var errAborted = errors.New("sqlstore: write batch aborted")

// do runs fn in a savepoint of a batch and returns once the batch has
// committed: fn's error as is, or the batch's if it could not commit.
func (w *writer) do(ctx context.Context, fn func(c *conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &call{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, c)
	lead := !w.busy
	if lead {
		w.busy, c.state = true, leading
	}
	w.mu.Unlock()
	if lead || w.wait(c) {
		w.lead()
	}
	if c.panicked != nil {
		panic(c.panicked)
	}
	return c.err
}

// wait waits until c is done, or is to lead the next batch, which it
// reports. A call whose ctx is done while it is queued leaves the queue.
func (w *writer) wait(c *call) (lead bool) {
	select {
	case lead = <-c.wake:
		return lead
	case <-c.ctx.Done():
	}
	w.mu.Lock()
	if c.state == queued {
		i := 0
		for w.queue[i] != c {
			i++
		}
		w.queue = append(w.queue[:i], w.queue[i+1:]...)
		w.mu.Unlock()
		c.err = c.ctx.Err()
		return false
	}
	w.mu.Unlock()
	return <-c.wake
}

// lead runs the calls at the head of the queue, the leader's among them, as
// one batch, then hands the lead to the next call queued, if any.
func (w *writer) lead() {
	w.mu.Lock()
	n := min(len(w.queue), maxBatch)
	calls := make([]*call, n)
	copy(calls, w.queue)
	clear(w.queue[:n])
	w.queue = w.queue[n:]
	for _, c := range calls {
		c.state = taken
	}
	w.mu.Unlock()

	finished := false
	defer func() {
		if !finished {
			// A function of the batch called runtime.Goexit (t.FailNow in a
			// test): run has rolled the transaction back, and no call of
			// the batch is acknowledged.
			for _, c := range calls {
				c.err = errAborted
				c.wake <- false
			}
		}
		w.mu.Lock()
		if len(w.queue) > 0 {
			next := w.queue[0]
			next.state = leading
			next.wake <- true
		} else {
			w.busy = false
		}
		w.mu.Unlock()
	}()
	w.run(calls)
	finished = true
	for _, c := range calls {
		c.wake <- false
	}
}

// run runs calls in one transaction, each in a savepoint, and sets their
// results once the transaction has committed. A call whose ctx is done
// before its turn is skipped. The statements run with a context that is
// not cancelled: the interrupt a cancelled statement gets may roll back the
// whole transaction, and with it the other calls.
func (w *writer) run(calls []*call) {
	var (
		tx    *sql.Tx
		ctx   context.Context
		b     batch
		ended bool    // tx committed or rolled back
		done  []*call // calls whose fn succeeded, waiting for the commit
	)
	defer func() {
		// Unwinding from runtime.Goexit in a fn.
		if tx != nil && !ended {
			_ = tx.Rollback()
		}
	}()
	for _, c := range calls {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			continue
		}
		if tx == nil && b.err == nil {
			ctx = context.WithoutCancel(c.ctx)
			var err error
			if tx, err = w.s.db.BeginTx(ctx, nil); err != nil {
				b.fail(err)
			}
		}
		if b.err != nil {
			c.err = wrap("write", b.err)
			continue
		}
		if c.err = w.runOne(ctx, tx, &b, c); c.err == nil {
			done = append(done, c)
		}
	}
	if tx == nil {
		return
	}
	ended = true
	err := b.err
	if err == nil {
		err = tx.Commit()
	} else {
		_ = tx.Rollback() // the error that matters is b.err
	}
	if err != nil {
		for _, c := range done {
			c.err = wrap("write", err)
		}
	}
}

// runOne runs c's fn in a savepoint of tx: released if fn succeeds, rolled
// back if fn fails or panics. It returns fn's error as is.
func (w *writer) runOne(ctx context.Context, tx *sql.Tx, b *batch, c *call) (err error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
		b.fail(err)
		return wrap("write", err)
	}
	func() {
		defer func() {
			if v := recover(); v != nil {
				c.panicked, err = v, errPanicked
			}
		}()
		err = c.fn(&conn{ctx: ctx, s: w.s, tx: tx, b: b})
	}()
	if b.err != nil {
		// The transaction may be gone: the batch is rolled back.
		if err == nil {
			err = wrap("write", b.err)
		}
		return err
	}
	if err != nil {
		if _, e := tx.ExecContext(ctx, "ROLLBACK TO "+savepoint); e != nil {
			b.fail(fmt.Errorf("rollback to savepoint: %w", e))
		} else if _, e := tx.ExecContext(ctx, "RELEASE "+savepoint); e != nil {
			b.fail(fmt.Errorf("release savepoint: %w", e))
		}
		return err
	}
	if _, e := tx.ExecContext(ctx, "RELEASE "+savepoint); e != nil {
		b.fail(e)
		return wrap("write", e)
	}
	return nil
}
