package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The files of the state directory.
const (
	activationFile = "activation.json"
	clockFile      = "clock.json"
	// maxStateFile bounds what the client reads of a state file.
	maxStateFile = 64 << 10
)

// ensureDir creates the state directory, mode 0700, if it is missing.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("client: state directory: %w", err)
	}
	return nil
}

// writeFile replaces dir/name with data atomically: it writes a temporary
// file (mode 0600) in dir, syncs it and renames it over the old file.
func writeFile(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("client: write state: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Close()
		return fmt.Errorf("client: write state: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("client: write state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("client: write state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("client: write state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("client: write state: %w", err)
	}
	// Make the rename itself durable where the system allows it.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// readFile returns the content of dir/name, or nil without an error if
// it does not exist.
func readFile(dir, name string) ([]byte, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("client: read state: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return nil, fmt.Errorf("client: read state: %w", err)
	}
	if len(data) > maxStateFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadState, name, maxStateFile)
	}
	return data, nil
}

// clockState is the content of the clock file.
type clockState struct {
	LastSeen time.Time `json:"lastSeen"`
}

// parseClockState reads the clock file.
func parseClockState(data []byte) (time.Time, error) {
	var s clockState
	if err := json.Unmarshal(data, &s); err != nil || s.LastSeen.IsZero() {
		return time.Time{}, fmt.Errorf("%w: %s is not a clock state", ErrBadState, clockFile)
	}
	return s.LastSeen, nil
}

// parseActivation reads the activation file.
func parseActivation(data []byte) (Activation, error) {
	var a Activation
	if err := json.Unmarshal(data, &a); err != nil {
		return Activation{}, fmt.Errorf("%w: %s is not an activation", ErrBadState, activationFile)
	}
	if err := a.check(); err != nil {
		return Activation{}, fmt.Errorf("%w: %s: %w", ErrBadState, activationFile, err)
	}
	return a, nil
}

// now reads the clock and checks it against the last time seen and floor,
// a time known to have passed (zero for none); then, if the clock moved
// on, it keeps the time read as the last seen. A clock more than the
// tolerance before either is a *ClockError.
func (c *Client) now(floor time.Time) (time.Time, error) {
	now := c.clock().Round(0).UTC()
	c.mu.Lock()
	defer c.mu.Unlock()
	stored := time.Time{}
	if c.dir != "" {
		data, err := readFile(c.dir, clockFile)
		if err != nil {
			return now, err
		}
		if data != nil {
			if stored, err = parseClockState(data); err != nil {
				return now, err
			}
		}
	}
	last := c.lastSeen
	if stored.After(last) {
		last = stored
	}
	check := last
	if floor.After(check) {
		check = floor.UTC()
	}
	if now.Before(check.Add(-c.tolerance)) {
		return now, &ClockError{Now: now, LastSeen: check}
	}
	if now.After(last) {
		c.lastSeen = now
	}
	if c.dir != "" && now.After(stored) {
		if err := writeFile(c.dir, clockFile, encode(clockState{LastSeen: now})); err != nil {
			// The check itself was made; only keeping its result failed.
			c.log.Warn("licgate client: cannot keep the last time seen", "err", err)
		}
	}
	return now, nil
}

// CheckClock reads the clock, as every operation that needs the time
// does: it returns a [*ClockError] if the clock reads more than the
// tolerance before the last time the client saw, and otherwise moves that
// time forward and returns the time read. A program without network calls
// it at start, and wherever it would trust the clock.
func (c *Client) CheckClock() (time.Time, error) { return c.now(time.Time{}) }

// saveActivation keeps a as the client's activation.
func (c *Client) saveActivation(a Activation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir == "" {
		c.act = &a
		return nil
	}
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(c.dir, activationFile, append(data, '\n'))
}

// Activation returns the activation the client keeps: the last one made
// with its state directory (by any Client), or without one, by this
// Client. Errors: [ErrNotActivated] if there is none, [ErrBadState] for a
// corrupt activation file.
func (c *Client) Activation() (Activation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir == "" {
		if c.act == nil {
			return Activation{}, ErrNotActivated
		}
		return *c.act, nil
	}
	data, err := readFile(c.dir, activationFile)
	if err != nil {
		return Activation{}, err
	}
	if data == nil {
		return Activation{}, ErrNotActivated
	}
	return parseActivation(data)
}

// Token returns the activation token the client keeps, for a gate to
// verify (github.com/licgate/licgate/middleware) or to present to the
// status endpoint. Errors: those of [Client.Activation].
func (c *Client) Token() (string, error) {
	a, err := c.Activation()
	return a.Token, err
}
