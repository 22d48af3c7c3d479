package admin

import (
	"net/url"

	"github.com/licgate/licgate/license"
)

func (h *Handler) listEvents(c *call, _ *none, f *AuditFilter) (EventPage, error) {
	page, limit, err := f.PageQuery.page(cursorEvents)
	if err != nil {
		return EventPage{}, err
	}
	evs, err := h.svc.Audit(c.ctx, license.AuditQuery{Since: f.Since, Target: f.Target, Page: page})
	if err != nil {
		return EventPage{}, err
	}
	data, next := pageOf(evs, limit, cursorEvents, func(e license.Event) license.Cursor {
		return license.Cursor{At: e.At, ID: e.ID}
	})
	return EventPage{Data: data, Next: next}, nil
}

func (h *Handler) createWebhook(c *call, in *NewWebhook, _ *none) (CreatedWebhook, error) {
	w, err := h.svc.CreateWebhook(c.ctx, in.URL)
	if err != nil {
		return CreatedWebhook{}, err
	}
	c.location = "webhooks/" + url.PathEscape(w.ID)
	return CreatedWebhook{Webhook: w, Secret: w.Secret}, nil
}

func (h *Handler) listWebhooks(c *call, _, _ *none) (WebhookList, error) {
	ws, err := h.svc.Webhooks(c.ctx)
	return WebhookList{Data: ws}, err
}

func (h *Handler) getWebhook(c *call, _, _ *none) (license.Webhook, error) {
	return h.svc.Webhook(c.ctx, c.r.PathValue("id"))
}

func (h *Handler) deleteWebhook(c *call, _, _ *none) (none, error) {
	return none{}, h.svc.DeleteWebhook(c.ctx, c.r.PathValue("id"))
}

func (h *Handler) listAttempts(c *call, _ *none, q *PageQuery) (AttemptPage, error) {
	page, limit, err := q.page(cursorAttempts)
	if err != nil {
		return AttemptPage{}, err
	}
	as, err := h.svc.WebhookAttempts(c.ctx, c.r.PathValue("id"), page)
	if err != nil {
		return AttemptPage{}, err
	}
	data, next := pageOf(as, limit, cursorAttempts, func(a license.Attempt) license.Cursor {
		return license.Cursor{At: a.At, ID: a.ID}
	})
	return AttemptPage{Data: data, Next: next}, nil
}
