package admin

import "github.com/licgate/licgate/license"

func (h *Handler) listActivations(c *call, _, _ *none) (ActivationList, error) {
	id := c.r.PathValue("id")
	if _, err := h.svc.License(c.ctx, id); err != nil {
		return ActivationList{}, err
	}
	as, err := h.svc.Activations(c.ctx, id)
	if err != nil {
		return ActivationList{}, err
	}
	return ActivationList{Data: as}, nil
}

func (h *Handler) getActivation(c *call, _, _ *none) (license.Activation, error) {
	aid := c.r.PathValue("aid")
	a, err := h.svc.Activation(c.ctx, aid)
	return a, named(err, "activation", aid)
}

func (h *Handler) releaseActivation(c *call, _, _ *none) (license.Activation, error) {
	aid := c.r.PathValue("aid")
	a, err := h.svc.ReleaseActivation(c.ctx, aid)
	return a, named(err, "activation", aid)
}

func (h *Handler) revokeActivation(c *call, _, _ *none) (license.Activation, error) {
	aid := c.r.PathValue("aid")
	a, err := h.svc.RevokeActivation(c.ctx, aid)
	return a, named(err, "activation", aid)
}
