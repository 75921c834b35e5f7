// Command audit-policy-oracle decides audit events with the API server's own audit policy code
// (k8s.io/apiserver at the version go.mod pins, the one of the kube-apiserver the project tests
// against), so the forwarder's TypeScript engine (src/transform/policy.ts) can be checked against
// it. Test tooling only: built on demand into the project's cache by test/oracle/audit-policy.ts.
//
//	audit-policy-oracle decide POLICY EVENTS [explain]
//	                                           one JSON decision per line of EVENTS (JSON lines);
//	                                           explain adds the attributes the policy was evaluated on
//	audit-policy-oracle load POLICY            {"ok":true} or {"error":"..."}: does the API server accept it?
//	audit-policy-oracle yaml2json FILE         the JSON the API server's decoder turns YAML into
//
// Each event line is an audit event as it was logged. The oracle rebuilds the
// authorizer.Attributes the API server evaluated its policy with (see attributes()), evaluates the
// policy with policy.NewPolicyRuleEvaluator, and logs the bodies again with
// audit.LogRequestObject / LogRequestPatch / LogResponseObject, which apply omitManagedFields.
//
// Written by hand, each marked "by hand" below: what k8s.io/apiserver does not export (the
// omitStages check of filters.processAuditEvent, the choice of runtime.Object the API server held
// for a body), the v1beta1 → v1 policy rewrite, the project's own rule that a body the recorded
// event lacks cannot be restored (the level becomes the lower of the policy's and the recorded),
// and the field copy of filters.GetAuthorizerAttributes, whose package would double the build.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: audit-policy-oracle decide POLICY EVENTS | load POLICY | yaml2json FILE")
	}
	switch os.Args[1] {
	case "load":
		if _, err := loadPolicy(os.Args[2]); err != nil {
			emit(map[string]string{"error": err.Error()})
		} else {
			emit(map[string]bool{"ok": true})
		}
	case "yaml2json":
		data, err := os.ReadFile(os.Args[2])
		check(err)
		// What the API server's YAML serializer (apimachinery runtime/serializer/json) does first.
		out, err := yaml.YAMLToJSON(data)
		if err != nil {
			emit(map[string]string{"error": err.Error()})
		} else {
			emit(map[string]json.RawMessage{"json": out})
		}
	case "decide":
		if len(os.Args) < 4 {
			fail("decide needs POLICY and EVENTS")
		}
		p, err := loadPolicy(os.Args[2])
		check(err)
		decideAll(policy.NewPolicyRuleEvaluator(p), os.Args[3], len(os.Args) > 4 && os.Args[4] == "explain")
	default:
		fail("unknown command " + os.Args[1])
	}
}

// loadPolicy reads a policy file the way kube-apiserver's --audit-policy-file does.
func loadPolicy(path string) (*auditinternal.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// By hand: k8s.io/apiserver v0.32 only registers audit.k8s.io/v1, while the project also accepts
	// v1beta1 (the Calico docs' sample policy). The Policy types of the two versions have the same
	// fields, so a v1beta1 policy is read as the v1 policy with the same content.
	var head struct {
		APIVersion string `json:"apiVersion"`
	}
	if j, err := yaml.YAMLToJSON(data); err == nil && json.Unmarshal(j, &head) == nil && head.APIVersion == "audit.k8s.io/v1beta1" {
		var doc map[string]interface{}
		check(json.Unmarshal(j, &doc))
		doc["apiVersion"] = "audit.k8s.io/v1"
		data, _ = json.Marshal(doc)
	}
	return policy.LoadPolicyFromBytes(data)
}

// decision is one output line.
type decision struct {
	Error string `json:"error,omitempty"`
	// What policy.EvaluatePolicyRule returned.
	Level             auditinternal.Level   `json:"level"`
	OmitStages        []auditinternal.Stage `json:"omitStages"`
	OmitManagedFields bool                  `json:"omitManagedFields"`
	// The attributes it was given, for diagnosing a disagreement (explain only).
	Attributes map[string]interface{} `json:"attributes,omitempty"`
	// The event as it would be logged, nil when not logged at all (level None or stage omitted).
	Logged *logged `json:"logged"`
}

type logged struct {
	Level auditinternal.Level `json:"level"`
	// Only for bodies the recorded event has.
	RequestObject  *body `json:"requestObject,omitempty"`
	ResponseObject *body `json:"responseObject,omitempty"`
}

// body: Kept false when the level drops it. Value is the logged JSON, left out when it is the
// recorded body unchanged (keeps the output small).
type body struct {
	Kept  bool            `json:"kept"`
	Value json.RawMessage `json:"value,omitempty"`
}

func decideAll(evaluator audit.PolicyRuleEvaluator, eventsPath string, explain bool) {
	data, err := os.ReadFile(eventsPath)
	check(err)
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		d, err := decide(evaluator, line, explain)
		if err != nil {
			d = &decision{Error: err.Error()}
		}
		check(out.Encode(d))
	}
}

func decide(evaluator audit.PolicyRuleEvaluator, line []byte, explain bool) (*decision, error) {
	var v1ev auditv1.Event
	if err := json.Unmarshal(line, &v1ev); err != nil {
		return nil, err
	}
	var ev auditinternal.Event
	if err := auditv1.Convert_v1_Event_To_audit_Event(&v1ev, &ev, nil); err != nil {
		return nil, err
	}
	attrs, err := attributes(&ev)
	if err != nil {
		return nil, err
	}

	rac := evaluator.EvaluatePolicyRule(attrs)
	stages := append([]auditinternal.Stage(nil), rac.OmitStages...)
	sort.Slice(stages, func(i, j int) bool { return stages[i] < stages[j] })
	d := &decision{Level: rac.Level, OmitStages: stages, OmitManagedFields: rac.OmitManagedFields}
	if explain {
		d.Attributes = describe(attrs)
	}

	// By hand: filters.processAuditEvent (unexported) drops an event whose stage is in omitStages;
	// filters.WithAudit logs nothing at level None.
	if rac.Level == auditinternal.LevelNone {
		return d, nil
	}
	for _, s := range rac.OmitStages {
		if s == ev.Stage {
			return d, nil
		}
	}

	// By hand (the project's rule, not the API server's): the recorded event is all there is, so it
	// is logged at the lower of the policy's level and the recorded one.
	level := rac.Level
	if ev.Level.Less(level) {
		level = ev.Level
	}
	if level == auditinternal.LevelNone {
		return d, nil
	}

	// The API server's own logging of the bodies, from the audit context the policy decision made.
	ctx := audit.WithAuditContext(context.Background())
	ac := audit.AuditContextFrom(ctx)
	ac.RequestAuditConfig = rac
	ac.Event = ev
	ac.Event.Level = level
	ac.Event.RequestObject, ac.Event.ResponseObject = nil, nil
	gv := schema.GroupVersion{}
	gvr := schema.GroupVersionResource{}
	if ev.ObjectRef != nil {
		gv = schema.GroupVersion{Group: ev.ObjectRef.APIGroup, Version: ev.ObjectRef.APIVersion}
		gvr = gv.WithResource(ev.ObjectRef.Resource)
	}
	out := &logged{Level: level}
	if ev.RequestObject != nil {
		if ev.Verb == "patch" {
			// handlers/patch.go logs the patch as sent.
			audit.LogRequestPatch(ctx, ev.RequestObject.Raw)
		} else {
			// handlers/create.go, update.go, delete.go log the decoded object.
			obj, err := heldObject(ev.RequestObject.Raw)
			if err != nil {
				return nil, fmt.Errorf("requestObject: %w", err)
			}
			sub := ""
			if ev.ObjectRef != nil {
				sub = ev.ObjectRef.Subresource
			}
			audit.LogRequestObject(ctx, obj, gv, gvr, sub, serializer)
		}
		if out.RequestObject, err = bodyOf(ev.RequestObject.Raw, ac.Event.RequestObject); err != nil {
			return nil, err
		}
	}
	if ev.ResponseObject != nil {
		// responsewriters.WriteObjectNegotiated logs the object it is about to write.
		obj, err := heldObject(ev.ResponseObject.Raw)
		if err != nil {
			return nil, fmt.Errorf("responseObject: %w", err)
		}
		audit.LogResponseObject(ctx, obj, gv, serializer)
		if out.ResponseObject, err = bodyOf(ev.ResponseObject.Raw, ac.Event.ResponseObject); err != nil {
			return nil, err
		}
	}
	d.Logged = out
	return d, nil
}

// attributes rebuilds the authorizer.Attributes filters.GetAuthorizerAttributes returned for the
// request, from the RequestInfo and user the API server had.
func attributes(ev *auditinternal.Event) (authorizer.Attributes, error) {
	// net/http parses the request target this way; the RequestInfo's Path is URL.Path, with the
	// escapes of the logged requestURI decoded.
	u, err := url.ParseRequestURI(ev.RequestURI)
	if err != nil {
		return nil, fmt.Errorf("requestURI: %w", err)
	}
	info := &request.RequestInfo{Path: u.Path, Verb: ev.Verb}
	// audit.LogRequestMetadata writes an objectRef for resource requests only.
	if ref := ev.ObjectRef; ref != nil {
		info.IsResourceRequest = true
		info.APIGroup, info.APIVersion = ref.APIGroup, ref.APIVersion
		info.Resource, info.Subresource = ref.Resource, ref.Subresource
		info.Namespace, info.Name = ref.Namespace, ref.Name
		// handlers/create.go and update.go call audit.LogRequestObject after the policy was
		// evaluated, and it fills an empty objectRef namespace and name from the body (the name of
		// every create of a collection). At evaluation time they were the request path's.
		if method, ok := map[string]string{"create": http.MethodPost, "update": http.MethodPut}[ev.Verb]; ok {
			parsed, err := requestInfoFactory.NewRequestInfo(&http.Request{Method: method, URL: u})
			if err == nil && parsed.IsResourceRequest && parsed.Verb == ev.Verb {
				info.Namespace, info.Name = parsed.Namespace, parsed.Name
			}
		}
	}
	// By hand: the field copy filters.GetAuthorizerAttributes makes from the RequestInfo and user
	// (less the label and field selectors, which audit policy never reads). Importing
	// k8s.io/apiserver/pkg/endpoints/filters for it would more than double the packages to compile
	// and the oracle's cold build time.
	attrs := authorizer.AttributesRecord{
		ResourceRequest: info.IsResourceRequest,
		Path:            info.Path,
		Verb:            info.Verb,
		APIGroup:        info.APIGroup,
		APIVersion:      info.APIVersion,
		Resource:        info.Resource,
		Subresource:     info.Subresource,
		Namespace:       info.Namespace,
		Name:            info.Name,
	}
	// LogRequestMetadata writes user fields only for a request that has a user, and all of them
	// are omitempty: `user: {}` is a request without one (failed authentication).
	if u := ev.User; u.Username != "" || len(u.Groups) > 0 || u.UID != "" || len(u.Extra) > 0 {
		extra := map[string][]string{}
		for k, v := range u.Extra {
			extra[k] = v
		}
		attrs.User = &user.DefaultInfo{Name: u.Username, UID: u.UID, Groups: u.Groups, Extra: extra}
	}
	return attrs, nil
}

// The API server's (genericapiserver.NewRequestInfoResolver with the default API prefixes).
var requestInfoFactory = &request.RequestInfoFactory{
	APIPrefixes:          sets.NewString("api", "apis"),
	GrouplessAPIPrefixes: sets.NewString("api"),
}

func describe(a authorizer.Attributes) map[string]interface{} {
	m := map[string]interface{}{
		"verb": a.GetVerb(), "path": a.GetPath(), "isResourceRequest": a.IsResourceRequest(),
		"namespace": a.GetNamespace(), "name": a.GetName(), "apiGroup": a.GetAPIGroup(),
		"resource": a.GetResource(), "subresource": a.GetSubresource(),
	}
	if u := a.GetUser(); u != nil {
		m["user"] = map[string]interface{}{"name": u.GetName(), "groups": u.GetGroups()}
	} else {
		m["user"] = nil
	}
	return m
}

// heldObject is, by hand, the runtime.Object the API server had for a logged body. Its handlers
// hold typed objects; for managedFields only meta.Accessor, meta.IsListType / EachListItem and
// *metav1.Table matter (audit.copyWithoutManagedFields), and an Unstructured object answers the
// first two as the typed one does. A Table must be the typed *metav1.Table, whose rows hold their
// objects as runtime.Objects (handlers/response.go), not as raw bytes.
func heldObject(raw []byte) (runtime.Object, error) {
	var m map[string]interface{}
	if err := decodeJSON(raw, &m); err != nil || m == nil {
		// Not an object (cannot happen for a decoded request body): kept as the bytes logged.
		return &runtime.Unknown{Raw: raw, ContentType: runtime.ContentTypeJSON}, nil
	}
	if m["kind"] == "Table" && (m["apiVersion"] == "meta.k8s.io/v1" || m["apiVersion"] == "meta.k8s.io/v1beta1") {
		table := &metav1.Table{}
		if err := decodeJSON(raw, table); err != nil {
			return nil, err
		}
		for i := range table.Rows {
			obj := &table.Rows[i].Object
			var row map[string]interface{}
			if len(obj.Raw) > 0 && decodeJSON(obj.Raw, &row) == nil && row != nil {
				obj.Object, obj.Raw = &unstructured.Unstructured{Object: row}, nil
			}
		}
		return table, nil
	}
	return &unstructured.Unstructured{Object: m}, nil
}

// The serializer the audit functions encode with: the object as it is, in JSON.
var serializer = runtime.NewSimpleNegotiatedSerializer(runtime.SerializerInfo{
	MediaType:        runtime.ContentTypeJSON,
	MediaTypeType:    "application",
	MediaTypeSubType: "json",
	Serializer:       unstructured.UnstructuredJSONScheme,
})

func bodyOf(recorded []byte, got *runtime.Unknown) (*body, error) {
	if got == nil {
		return &body{Kept: false}, nil
	}
	same, err := sameJSON(recorded, got.Raw)
	if err != nil {
		return nil, err
	}
	if same {
		return &body{Kept: true}, nil
	}
	return &body{Kept: true, Value: json.RawMessage(bytes.TrimSpace(got.Raw))}, nil
}

func sameJSON(a, b []byte) (bool, error) {
	var va, vb interface{}
	if err := decodeJSON(a, &va); err != nil {
		return false, err
	}
	if err := decodeJSON(b, &vb); err != nil {
		return false, err
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb), nil
}

// decodeJSON keeps numbers as written.
func decodeJSON(raw []byte, into interface{}) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(into)
}

func emit(v interface{}) {
	check(json.NewEncoder(os.Stdout).Encode(v))
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "audit-policy-oracle: "+strings.TrimSpace(msg))
	os.Exit(2)
}
