package notify

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/licgate/licgate/license"
)

// Log is a [license.Notifier] that writes each authorization code to a
// [slog.Logger] instead of sending it, so a demo or a developer can
// activate without a mail server.
//
// Log writes the code itself to the log: anyone who can read the log can
// activate any license whose code it holds. Use it for demos and
// development only, never in production.
type Log struct {
	logger *slog.Logger
}

var _ license.Notifier = (*Log)(nil)

// NewLog returns a notifier that writes one record per code, at level Info
// with the message "authorization code", to logger. A nil logger yields
// [ErrBadOption].
func NewLog(logger *slog.Logger) (*Log, error) {
	if logger == nil {
		return nil, fmt.Errorf("%w: nil logger", ErrBadOption)
	}
	return &Log{logger: logger}, nil
}

// Notify writes m as one record with the attributes channel, to, product
// (the product ID), code and ttl. It fails only if ctx is already done.
func (l *Log) Notify(ctx context.Context, m license.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.logger.LogAttrs(ctx, slog.LevelInfo, "authorization code",
		slog.String("channel", string(m.Channel)),
		slog.String("to", m.To),
		slog.String("product", m.Product.ID),
		slog.String("code", m.Code),
		slog.Duration("ttl", m.TTL),
	)
	return nil
}
