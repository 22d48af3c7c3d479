package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/licgate/licgate/license"
)

// The OpenAPI 3.1 document is generated from the route table and the Go
// types: the operations, parameters and responses from [routes], the
// schemas by reflecting the types with invopop/jsonschema (JSON Schema
// 2020-12, the dialect of OpenAPI 3.1), under the rules encoding/json
// follows: a member whose tag has omitempty or omitzero is optional, any
// other required, and no other member is allowed. The server refuses a
// body that breaks those rules ([decodeJSON]), so the document says what
// the server does.

// document is the OpenAPI document, without its servers, which depend on
// where the handler is mounted.
type document struct {
	OpenAPI           string                           `json:"openapi"`
	Info              docInfo                          `json:"info"`
	JSONSchemaDialect string                           `json:"jsonSchemaDialect"`
	Servers           []docServer                      `json:"servers"`
	Security          []map[string][]string            `json:"security"`
	Tags              []docTag                         `json:"tags"`
	Paths             map[string]map[string]*operation `json:"paths"`
	Webhooks          map[string]map[string]*operation `json:"webhooks"`
	Components        components                       `json:"components"`
}

type docInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type docServer struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

type docTag struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type operation struct {
	OperationID string                 `json:"operationId"`
	Summary     string                 `json:"summary"`
	Description string                 `json:"description,omitempty"`
	Tags        []string               `json:"tags,omitempty"`
	Security    *[]map[string][]string `json:"security,omitempty"`
	Parameters  []parameter            `json:"parameters,omitempty"`
	RequestBody *requestBody           `json:"requestBody,omitempty"`
	Responses   map[string]*response   `json:"responses"`
}

type parameter struct {
	Name        string `json:"name"`
	In          string `json:"in"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Schema      any    `json:"schema"`
}

type requestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required"`
	Content     map[string]mediaType `json:"content"`
}

type mediaType struct {
	Schema any `json:"schema"`
}

type response struct {
	Description string               `json:"description"`
	Headers     map[string]docHeader `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type docHeader struct {
	Description string `json:"description"`
	Required    bool   `json:"required,omitempty"`
	Schema      any    `json:"schema"`
}

type components struct {
	Schemas         map[string]json.RawMessage `json:"schemas"`
	SecuritySchemes map[string]securityScheme  `json:"securitySchemes"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
}

type object = map[string]any

// render returns the document with prefix, the path the handler is
// mounted at, as its server.
func (d *document) render(prefix string) (json.RawMessage, error) {
	doc := *d
	if prefix == "" {
		prefix = "/"
	}
	doc.Servers = []docServer{{URL: prefix, Description: "This server"}}
	return json.Marshal(doc)
}

// mountPrefix returns the path the handler is mounted at: what
// [http.StripPrefix] took from the request's path.
func mountPrefix(r *http.Request) string {
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil || !strings.HasSuffix(u.Path, r.URL.Path) {
		return ""
	}
	return strings.TrimSuffix(u.Path, r.URL.Path)
}

const problemSchema = "Problem"

// newDocument builds the document of the routes.
func newDocument(table []*route) (*document, error) {
	s := newSchemas()
	bearer := []map[string][]string{{"bearer": {}}}
	public := []map[string][]string{}
	d := &document{
		OpenAPI: "3.1.0",
		Info: docInfo{
			Title:   "licgate admin API",
			Version: "1",
			Description: "Products, licenses, activations, the audit trail and webhooks of a licgate server. " +
				"Every operation but getOpenAPI takes an admin token (Authorization: Bearer lgt_…); a read token may only GET. " +
				"Errors are RFC 9457 problem documents with a stable reason. " +
				"A POST with an Idempotency-Key runs once: retries with the same key get the first answer again, with Idempotent-Replayed: true.",
		},
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Security:          bearer,
		Tags: []docTag{
			{"products", "Products and their signing keys."},
			{"licenses", "Licenses: what customers buy."},
			{"activations", "Activations: computers holding seats."},
			{"audit", "The audit trail."},
			{"webhooks", "Endpoints that receive webhook events, and their deliveries."},
			{"meta", "The API itself."},
		},
		Paths:    map[string]map[string]*operation{},
		Webhooks: map[string]map[string]*operation{},
		Components: components{
			SecuritySchemes: map[string]securityScheme{"bearer": {
				Type: "http", Scheme: "bearer",
				Description: "An admin token, made with `licgate token create`; admin scope may change, read scope only read.",
			}},
		},
	}
	problem := s.ref(reflect.TypeFor[Problem]())
	for _, rt := range table {
		op := &operation{
			OperationID: rt.op, Summary: rt.summary, Description: rt.description,
			Tags: []string{rt.tag}, Responses: map[string]*response{},
		}
		if rt.scope == scopePublic {
			op.Security = &public
		}
		for _, p := range rt.params {
			op.Parameters = append(op.Parameters, parameter{
				Name: p, In: "path", Required: true, Description: pathParamDoc(rt.path),
				Schema: object{"type": "string", "minLength": 1, "maxLength": maxPathValue},
			})
		}
		if rt.query != nil {
			op.Parameters = append(op.Parameters, queryParams(rt.query)...)
		}
		if rt.method == http.MethodPost {
			op.Parameters = append(op.Parameters, parameter{
				Name: idempotencyHeader, In: "header",
				Description: "Makes the request safe to retry: it runs once, and a retry with the same key gets the first answer. " +
					"Scoped by token; kept for 24 hours by default.",
				Schema: object{"type": "string", "minLength": 1, "maxLength": maxIdempotencyKey, "pattern": "^[ -~]+$"},
			})
		}
		if rt.in != nil {
			op.RequestBody = &requestBody{Required: true, Content: map[string]mediaType{
				"application/json": {Schema: s.ref(rt.in)},
			}}
		}
		ok := &response{Description: http.StatusText(rt.status), Headers: map[string]docHeader{}}
		if rt.out != nil {
			ok.Content = map[string]mediaType{"application/json": {Schema: s.ref(rt.out)}}
		}
		if rt.status == http.StatusCreated {
			ok.Headers["Location"] = docHeader{Description: "The new resource, relative to the request's URL.", Required: true, Schema: object{"type": "string"}}
		}
		if rt.method == http.MethodPost {
			ok.Headers[replayedHeader] = docHeader{Description: "true when the answer is the one kept for an earlier request with the same Idempotency-Key.", Schema: object{"type": "string", "enum": []string{"true"}}}
		}
		op.Responses[strconv.Itoa(rt.status)] = ok
		for _, st := range problemStatuses(rt) {
			op.Responses[strconv.Itoa(st)] = problemResponse(st, problem)
		}
		op.Responses["default"] = problemResponse(0, problem)
		if d.Paths[rt.path] == nil {
			d.Paths[rt.path] = map[string]*operation{}
		}
		d.Paths[rt.path][strings.ToLower(rt.method)] = op
	}
	for _, typ := range license.WebhookEventTypes {
		payload := reflect.TypeFor[licenseEventPayload]()
		if strings.HasPrefix(typ, "activation.") {
			payload = reflect.TypeFor[activationEventPayload]()
		}
		d.Webhooks[typ] = map[string]*operation{"post": webhookOperation(typ, s.ref(payload))}
	}
	if s.err != nil {
		return nil, s.err
	}
	d.Components.Schemas = s.defs
	return d, nil
}

// problemStatuses are the statuses of the problems a route may answer,
// besides those of the default response.
func problemStatuses(rt *route) []int {
	var sts []int
	add := func(st ...int) {
		for _, s := range st {
			if !containsInt(sts, s) {
				sts = append(sts, s)
			}
		}
	}
	if rt.scope != scopePublic {
		add(http.StatusUnauthorized, http.StatusTooManyRequests)
	}
	if rt.scope == scopeWrite {
		add(http.StatusForbidden)
	}
	if rt.in != nil || rt.query != nil {
		add(http.StatusBadRequest)
	}
	if rt.in != nil {
		add(http.StatusUnsupportedMediaType)
	}
	if rt.method == http.MethodPost || rt.method == http.MethodPatch {
		add(http.StatusRequestEntityTooLarge)
	}
	if rt.method == http.MethodPost {
		add(http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity)
	}
	if len(rt.params) > 0 {
		add(http.StatusNotFound)
	}
	add(rt.problems...)
	add(http.StatusInternalServerError)
	return sts
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// problemResponse is the response of a problem of a status, 0 for the
// default response.
func problemResponse(status int, schema any) *response {
	r := &response{
		Description: http.StatusText(status),
		Content:     map[string]mediaType{"application/problem+json": {Schema: schema}},
	}
	switch status {
	case 0:
		r.Description = "A problem; reason says which."
	case http.StatusUnauthorized:
		r.Headers = map[string]docHeader{"WWW-Authenticate": {Description: "Bearer (RFC 6750).", Required: true, Schema: object{"type": "string"}}}
	case http.StatusTooManyRequests:
		r.Headers = map[string]docHeader{"Retry-After": {Description: "Seconds to wait.", Required: true, Schema: object{"type": "string", "pattern": "^[0-9]+$"}}}
	}
	return r
}

// pathParamDoc describes the path parameter of a path.
func pathParamDoc(path string) string {
	switch {
	case strings.HasPrefix(path, "/products/"):
		return "The product's ID."
	case strings.HasPrefix(path, "/licenses/"):
		return "The license's ID, a UUID."
	case strings.HasPrefix(path, "/activations/"):
		return "The activation's AID, a UUID."
	case strings.HasPrefix(path, "/webhooks/"):
		return "The webhook's ID, a UUID."
	}
	return ""
}

// queryDocs describe the query parameters.
var queryDocs = map[string]string{
	"limit":   "How many items the page holds at most, 1 to 500. Default: 50.",
	"cursor":  "The next of the page before; absent for the first page.",
	"product": "Keeps the licenses of the product with this ID.",
	"email":   "Keeps the licenses of the customer with this email address, in any case.",
	"status":  "Keeps the licenses with this status.",
	"since":   "Keeps the events at or after this time, RFC 3339.",
	"target":  `Keeps the events of this target, such as "license/ID" or "activation/AID".`,
}

// queryParams are the parameters of a filter type.
func queryParams(t reflect.Type) []parameter {
	var out []parameter
	for _, f := range queryFields(t) {
		sch := object{}
		switch {
		case f.kind == timeType:
			sch["type"], sch["format"] = "string", "date-time"
		case f.kind.Kind() == reflect.Int:
			sch["type"], sch["maximum"] = "integer", f.max
			if f.hasMin {
				sch["minimum"] = f.min
			}
		default:
			sch["type"], sch["maxLength"] = "string", f.max
			if f.enum != nil {
				sch["enum"] = f.enum
			}
		}
		out = append(out, parameter{Name: f.name, In: "query", Description: queryDocs[f.name], Schema: sch})
	}
	return out
}

// licenseEventPayload and activationEventPayload are the bodies of
// webhook messages, as license/webhook sends them.
type licenseEventPayload struct {
	Type      string              `json:"type" jsonschema:"enum=license.created,enum=license.updated"`
	Timestamp time.Time           `json:"timestamp"`
	Data      license.LicenseData `json:"data"`
}

type activationEventPayload struct {
	Type      string                 `json:"type" jsonschema:"enum=activation.created,enum=activation.released,enum=activation.revoked"`
	Timestamp time.Time              `json:"timestamp"`
	Data      license.ActivationData `json:"data"`
}

// webhookOperation describes the message of a webhook event.
func webhookOperation(typ string, schema any) *operation {
	public := []map[string][]string{}
	hdr := func(name, doc string) parameter {
		return parameter{Name: name, In: "header", Required: true, Description: doc, Schema: object{"type": "string"}}
	}
	return &operation{
		OperationID: "webhook" + camel(typ),
		Summary:     "The " + typ + " event",
		Description: "Sent to every webhook as the Standard Webhooks specification says: signed with the webhook's secret, " +
			"retried until the receiver answers 2xx or the schedule gives up. Receivers drop duplicates by webhook-id. " +
			"data holds identifiers only, never a credential.",
		Tags:     []string{"webhooks"},
		Security: &public,
		Parameters: []parameter{
			hdr("webhook-id", "The event's ID: the same on every attempt."),
			hdr("webhook-timestamp", "When the attempt was made, in seconds since the Unix epoch."),
			hdr("webhook-signature", "v1, and the base64 HMAC-SHA256 of id.timestamp.body under the secret."),
		},
		RequestBody: &requestBody{Required: true, Content: map[string]mediaType{"application/json": {Schema: schema}}},
		Responses: map[string]*response{
			"2XX": {Description: "Received. Any other answer, or none in time, is retried."},
		},
	}
}

// camel turns "license.created" into "LicenseCreated".
func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// schemas reflects Go types into the document's components.
type schemas struct {
	r     *jsonschema.Reflector
	defs  map[string]json.RawMessage
	names map[string]reflect.Type
	err   error
}

// schemaNames name the types whose Go name is not the one to show.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[licenseEventPayload]():    "LicenseWebhookPayload",
	reflect.TypeFor[activationEventPayload](): "ActivationWebhookPayload",
}

func newSchemas() *schemas {
	s := &schemas{defs: map[string]json.RawMessage{}, names: map[string]reflect.Type{}}
	s.r = &jsonschema.Reflector{
		Anonymous:     true,
		Mapper:        mapType,
		LookupComment: describeSchema,
		Namer: func(t reflect.Type) string {
			name := schemaNames[t]
			if name == "" {
				name = t.Name()
			}
			if name == "" {
				return ""
			}
			if prev, ok := s.names[name]; ok && prev != t && s.err == nil {
				s.err = fmt.Errorf("admin: two types are named %s in the OpenAPI document: %v and %v", name, prev, t)
			}
			s.names[name] = t
			return name
		},
	}
	return s
}

// ref returns the schema of t: a reference to a component for a struct.
func (s *schemas) ref(t reflect.Type) any {
	root := s.r.ReflectFromType(t)
	for name, def := range root.Definitions {
		b, err := s.marshal(def)
		if err != nil {
			return nil
		}
		s.defs[name] = b
	}
	if root.Ref != "" {
		return object{"$ref": toComponent(root.Ref)}
	}
	root.Version, root.Definitions = "", nil
	b, _ := s.marshal(root)
	return b
}

func (s *schemas) marshal(sch *jsonschema.Schema) (json.RawMessage, error) {
	b, err := json.Marshal(sch)
	if err != nil {
		if s.err == nil {
			s.err = fmt.Errorf("admin: OpenAPI schema: %w", err)
		}
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte(`"#/$defs/`), []byte(`"#/components/schemas/`)), nil
}

func toComponent(ref string) string {
	return "#/components/schemas/" + strings.TrimPrefix(ref, "#/$defs/")
}

// mapType gives the schemas of the named types whose values are a closed
// set, and of [NullTime].
func mapType(t reflect.Type) *jsonschema.Schema {
	enum := func(vals ...any) *jsonschema.Schema { return &jsonschema.Schema{Type: "string", Enum: vals} }
	switch t {
	case reflect.TypeFor[license.Status]():
		return enum(license.StatusActive, license.StatusSuspended, license.StatusRevoked, license.StatusReleased)
	case reflect.TypeFor[license.SignatureAlgorithm]():
		return enum(license.SignatureRSASHA1, license.SignatureRSASHA256)
	case reflect.TypeFor[license.PropertyType]():
		return enum(license.PropertyString, license.PropertyInt, license.PropertyBool)
	case reflect.TypeFor[license.DeliveryState]():
		return enum(license.DeliveryPending, license.DeliveryDelivered, license.DeliveryFailed)
	case reflect.TypeFor[license.Scope]():
		return enum(license.ScopeAdmin, license.ScopeRead)
	case reflect.TypeFor[NullTime]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "string", Format: "date-time"},
			{Type: "null"},
		}}
	}
	return nil
}

// schemaDocs describe the types of the document, and some of their
// fields by Go name.
var schemaDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[license.License](): {
		"":             "A license: the right to activate a product on up to seats computers at once, until expiresAt.",
		"ID":           "A UUID: an identifier that grants nothing.",
		"Key":          "The activation key a customer types: a credential.",
		"ProductKey":   "The EMS product key: a credential.",
		"Number":       "A unique random number, for protocols that name licenses by number.",
		"SeatsHeld":    "How many activations hold a seat now.",
		"ExpiresAt":    "The end of the license; absent if it never expires.",
		"Floating":     "Set for a floating license, whose seats are leases held by running programs (POST /v1/leases).",
		"LeaseSeconds": "How long a lease of a floating license lives without a heartbeat, in seconds.",
	},
	reflect.TypeFor[license.Activation](): {
		"":            "One computer, or one running instance for a lease of a floating license, holding one seat of a license.",
		"ComputerKey": "The key bound to the computer (QLM pckey): a credential.",
		"ReleasedAt":  "When the activation was released or revoked.",
		"LeaseUntil":  "For a lease: when it ends unless a heartbeat extends it.",
	},
	reflect.TypeFor[license.Event](): {
		"":        "A record of the audit trail: something that happened, or was attempted.",
		"ID":      "A version 7 UUID: IDs sort in time.",
		"Target":  `What it happened to: "license/ID", "activation/AID", "product/ID", "webhook/ID", "token/NAME", or empty.`,
		"Outcome": `"ok", or the stable reason of a refusal.`,
		"Change":  "What changed: the fields of a new record, or {field: {from, to}}. Never a credential.",
	},
	reflect.TypeFor[license.Actor]():          {"": "Who acted: an admin token's name, a protocol and a client address."},
	reflect.TypeFor[license.Property]():       {"": "A named, typed value of a license (QLM's product properties)."},
	reflect.TypeFor[license.Attribute]():      {"": "An EMS activation attribute."},
	reflect.TypeFor[license.Webhook]():        {"": "An endpoint that receives the webhook events."},
	reflect.TypeFor[license.Attempt]():        {"": "One attempt at delivering an event to a webhook.", "DurationMS": "How long the attempt took, in milliseconds."},
	reflect.TypeFor[license.LicenseData]():    {"": "A license as webhook events show it: without its credentials."},
	reflect.TypeFor[license.ActivationData](): {"": "An activation as webhook events show it: without its computer key."},
	reflect.TypeFor[Product]():                {"": "A product and the public half of its RSA key.", "PublicKey": "The PKIX PEM of the product's RSA public key, which its programs use to verify signed QLM answers."},
	reflect.TypeFor[NewProduct]():             {"": "A product to create; it gets a new RSA key."},
	reflect.TypeFor[NewLicense]():             {"": "A license to create; it gets fresh credentials.", "Seats": "How many computers may hold an activation at once; absent means 1.", "ExpiresAt": "The end of the license; absent, it never expires."},
	reflect.TypeFor[LicensePatch]():           {"": "The changes to a license: present members change, absent ones stay. Features and properties replace the lists whole.", "ExpiresAt": "A new expiry, or null for none.", "Status": "active, suspended or revoked; a revoked license stays revoked."},
	reflect.TypeFor[NewWebhook]():             {"": "An endpoint to register.", "URL": "An absolute http or https URL, without credentials."},
	reflect.TypeFor[CreatedWebhook]():         {"": "A new webhook, with its signing secret, shown this once.", "Secret": "The Standard Webhooks signing secret: whsec_ and base64."},
	reflect.TypeFor[Problem]():                {"": "An RFC 9457 problem document.", "Reason": "A stable reason for programs: not_found, invalid, conflict, no_seats, license_revoked, unauthenticated, forbidden, bad_request, …", "Detail": "A sentence for a person."},
	reflect.TypeFor[LicensePage]():            {"": "A page of licenses.", "Next": "The cursor of the next page; absent on the last."},
	reflect.TypeFor[EventPage]():              {"": "A page of the audit trail.", "Next": "The cursor of the next page; absent on the last."},
	reflect.TypeFor[AttemptPage]():            {"": "A page of delivery attempts.", "Next": "The cursor of the next page; absent on the last."},
	reflect.TypeFor[licenseEventPayload]():    {"": "The body of a license event's message.", "Timestamp": "When the event happened."},
	reflect.TypeFor[activationEventPayload](): {"": "The body of an activation event's message.", "Timestamp": "When the event happened."},
}

// describeSchema is the LookupComment of the reflector.
func describeSchema(t reflect.Type, field string) string {
	return schemaDocs[t][field]
}
