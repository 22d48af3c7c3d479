package admin

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
)

// scope is who may call a route.
type scope int

const (
	scopeRead   scope = iota // any admin token; GET
	scopeWrite               // an admin-scope token
	scopePublic              // anyone, without a token
)

// route is one operation of the API. The table of routes ([routes]) is
// the one description of the API: the router is built from it, and so is
// the OpenAPI document, whose schemas are reflected from the Go types
// that the route's function takes and returns.
type route struct {
	method, path string
	op           string // operationId
	tag          string
	summary      string
	description  string
	scope        scope
	status       int // of success
	// problems are the statuses of refusals particular to the route; those
	// of every route with a token, a body, a query or a path parameter are
	// added by the document.
	problems []int
	params   []string     // path parameters, from path
	in       reflect.Type // request body, nil for none
	query    reflect.Type // query filter, nil for none
	out      reflect.Type // answer, nil for none (204)
	serve    func(*Handler, *call) (any, error)
}

// none is the absence of a body, a query or an answer.
type none struct{}

// bind completes rt with the function that serves it, and the types that
// function takes and returns.
func bind[In, Query, Out any](rt route, fn func(*Handler, *call, *In, *Query) (Out, error)) *route {
	rt.in, rt.query, rt.out = typeOf[In](), typeOf[Query](), typeOf[Out]()
	for _, seg := range strings.Split(rt.path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			rt.params = append(rt.params, strings.TrimSuffix(name, "}"))
		}
	}
	rt.serve = func(h *Handler, c *call) (any, error) {
		in, _ := c.in.(*In)
		if in == nil {
			in = new(In)
		}
		q, _ := c.query.(*Query)
		if q == nil {
			q = new(Query)
		}
		return fn(h, c, in, q)
	}
	return &rt
}

func typeOf[T any]() reflect.Type {
	t := reflect.TypeFor[T]()
	if t == reflect.TypeFor[none]() {
		return nil
	}
	return t
}

// routes is the API.
func routes() []*route {
	const get, post, patch, del = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	ok, created, noContent := http.StatusOK, http.StatusCreated, http.StatusNoContent
	conflict, notFound := http.StatusConflict, http.StatusNotFound
	return []*route{
		bind(route{method: get, path: "/openapi.json", op: "getOpenAPI", tag: "meta", scope: scopePublic, status: ok,
			summary:     "This document",
			description: "The OpenAPI 3.1 document of the API, generated from the server's code. It needs no token."},
			(*Handler).openAPI),

		bind(route{method: post, path: "/products", op: "createProduct", tag: "products", scope: scopeWrite, status: created,
			summary:     "Create a product",
			description: "Creates a product with a new RSA key, whose public half the answer shows. An ID that is taken is refused (409 conflict).",
			problems:    []int{conflict}},
			(*Handler).createProduct),
		bind(route{method: get, path: "/products", op: "listProducts", tag: "products", scope: scopeRead, status: ok,
			summary: "List the products", description: "Every product, ordered by ID."},
			(*Handler).listProducts),
		bind(route{method: get, path: "/products/{id}", op: "getProduct", tag: "products", scope: scopeRead, status: ok,
			summary: "Get a product"},
			(*Handler).getProduct),

		bind(route{method: post, path: "/licenses", op: "createLicense", tag: "licenses", scope: scopeWrite, status: created,
			summary: "Create a license",
			description: "Creates a license of a product with fresh credentials (the activation key and the EMS product key), which the answer shows. " +
				"An unknown product is 404.",
			problems: []int{notFound}},
			(*Handler).createLicense),
		bind(route{method: get, path: "/licenses", op: "listLicenses", tag: "licenses", scope: scopeRead, status: ok,
			summary:     "List licenses",
			description: "The licenses the filters select, oldest first, one page at a time: pass the answer's next as cursor for the next page."},
			(*Handler).listLicenses),
		bind(route{method: get, path: "/licenses/{id}", op: "getLicense", tag: "licenses", scope: scopeRead, status: ok,
			summary: "Get a license"},
			(*Handler).getLicense),
		bind(route{method: patch, path: "/licenses/{id}", op: "updateLicense", tag: "licenses", scope: scopeWrite, status: ok,
			summary: "Change a license",
			description: "Changes the members present in the body, in one transaction recorded as one audit event. " +
				"A revoked license cannot be made active or suspended again (409 license_revoked).",
			problems: []int{conflict}},
			(*Handler).updateLicense),
		bind(route{method: get, path: "/licenses/{id}/activations", op: "listLicenseActivations", tag: "activations", scope: scopeRead, status: ok,
			summary: "List the activations of a license", description: "Every activation of the license, whatever its status, oldest first."},
			(*Handler).listActivations),

		bind(route{method: get, path: "/activations/{aid}", op: "getActivation", tag: "activations", scope: scopeRead, status: ok,
			summary: "Get an activation"},
			(*Handler).getActivation),
		bind(route{method: post, path: "/activations/{aid}/release", op: "releaseActivation", tag: "activations", scope: scopeWrite, status: ok,
			summary:     "Release an activation",
			description: "Frees the activation's seat; its computer may activate again. An activation that holds no seat is 409 (activation_released, activation_revoked). The request takes no body.",
			problems:    []int{conflict}},
			(*Handler).releaseActivation),
		bind(route{method: post, path: "/activations/{aid}/revoke", op: "revokeActivation", tag: "activations", scope: scopeWrite, status: ok,
			summary:     "Revoke an activation",
			description: "Frees the activation's seat for good: its computer may not activate the license again. An activation that holds no seat is 409. The request takes no body.",
			problems:    []int{conflict}},
			(*Handler).revokeActivation),

		bind(route{method: get, path: "/audit", op: "listEvents", tag: "audit", scope: scopeRead, status: ok,
			summary:     "Read the audit trail",
			description: "The events the filters select, oldest first, one page at a time. Every change and every refused attempt is an event naming its actor."},
			(*Handler).listEvents),

		bind(route{method: post, path: "/webhooks", op: "createWebhook", tag: "webhooks", scope: scopeWrite, status: created,
			summary:     "Register a webhook",
			description: "Registers an endpoint that receives the webhook events recorded from now on (see webhooks), signed with the secret that this answer shows, and no other."},
			(*Handler).createWebhook),
		bind(route{method: get, path: "/webhooks", op: "listWebhooks", tag: "webhooks", scope: scopeRead, status: ok,
			summary: "List the webhooks", description: "Every webhook, oldest first, without secrets."},
			(*Handler).listWebhooks),
		bind(route{method: get, path: "/webhooks/{id}", op: "getWebhook", tag: "webhooks", scope: scopeRead, status: ok,
			summary: "Get a webhook"},
			(*Handler).getWebhook),
		bind(route{method: del, path: "/webhooks/{id}", op: "deleteWebhook", tag: "webhooks", scope: scopeWrite, status: noContent,
			summary: "Delete a webhook", description: "Deletes the webhook; its pending deliveries are dropped."},
			(*Handler).deleteWebhook),
		bind(route{method: get, path: "/webhooks/{id}/deliveries", op: "listWebhookDeliveries", tag: "webhooks", scope: scopeRead, status: ok,
			summary: "List a webhook's delivery attempts", description: "The attempts at delivering events to the webhook, oldest first, one page at a time."},
			(*Handler).listAttempts),
	}
}

// openAPI serves the document, with the server URL where the handler is
// mounted.
func (h *Handler) openAPI(c *call, _, _ *none) (json.RawMessage, error) {
	return h.doc.render(mountPrefix(c.r))
}
