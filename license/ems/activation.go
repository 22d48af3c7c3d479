package ems

import (
	"net/http"
	"strings"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/xmlmodel"
)

// The activation web services: activate a product key with a C2V, and
// fetch the license of an activation again.

// activate serves POST productKey/{pk}/activation.ws.
func (h *Handler) activate(w http.ResponseWriter, r *http.Request, rt route) error {
	_, l, err := h.sessionLicense(r, rt)
	if err != nil {
		return err
	}
	var doc xmlmodel.Activation
	if err := h.readXML(w, r, &doc, "activation"); err != nil {
		return err
	}
	in, err := activationRequest(doc.Input)
	if err != nil {
		return err
	}
	computerID, err := in.computerID(h.svc, l.ProductKey)
	if err != nil {
		return err
	}
	res, err := h.svc.Activate(r.Context(), license.ActivationRequest{
		LicenseID: l.ID, ComputerID: computerID, Attributes: in.attributes, Comments: in.comments,
	})
	if err != nil {
		return err
	}
	return h.writeXML(w, h.activationDoc(res), true)
}

// getActivation serves GET activation/{aid}.ws: the activation with a
// fresh token, if it still holds its seat. An activation the session does
// not allow answers exactly like a missing one.
func (h *Handler) getActivation(w http.ResponseWriter, r *http.Request, rt route) error {
	sess, err := h.session(r, rt)
	if err != nil {
		return err
	}
	aid := strings.ToLower(strings.TrimSpace(rt.id)) // clients may write a UUID in upper case
	a, err := h.svc.Activation(r.Context(), aid)
	if err != nil {
		return err
	}
	if !sess.Allows(a.LicenseID) {
		return license.NotFound("activation", "")
	}
	res, err := h.svc.Validate(r.Context(), license.ValidationRequest{AID: a.AID})
	if err != nil {
		return err
	}
	return h.writeXML(w, h.activationDoc(res), true)
}

// activationDoc is the <activation> answer for an activation: its AID,
// protection key and a V2C carrying the activation token, then the
// attributes and comments it was made with.
func (h *Handler) activationDoc(res license.Result) xmlmodel.Activation {
	a := res.Activation
	doc := xmlmodel.Activation{
		Output: &xmlmodel.ActivationOutput{
			AID:              a.AID,
			ProtectionKeyID:  a.ComputerID,
			ActivationString: V2C(h.cfg.vendorID, a.ComputerID, res.Token),
		},
		Input: xmlmodel.ActivationInput{Comments: a.Comments},
	}
	for _, at := range a.Attributes {
		doc.Input.Attributes = append(doc.Input.Attributes, xmlmodel.ActivationAttribute{
			Name: at.Name, Value: at.Value, GroupName: at.Group, ISVPermission: at.ISVPermission, EndUserPermission: at.EndUserPermission,
		})
	}
	return doc
}

// V2C returns the activationString of an activation: a <hasp_info> document
// in the shape of EMS's, whose <v2c> carries the activation token instead of
// a Sentinel update. A client that un-escapes activationString gets exactly
// this text back.
func V2C(vendorID, protectionKeyID, token string) string {
	return `<?xml version="1.0" encoding="utf-8"?><hasp_info><haspscope><vendor id="` + xmlmodel.EscapeText(vendorID) +
		`" ><hasp id="` + xmlmodel.EscapeText(protectionKeyID) + `" /></vendor></haspscope><v2c>` +
		xmlmodel.EscapeText(token) + `</v2c></hasp_info>`
}
