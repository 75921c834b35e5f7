#!/usr/bin/env bash
# Issues the forwarder's Linseed client certificate, signed by the Calico operator's CA, and
# writes what deploy/overlays/linseed mounts:
#   - Secret    <namespace>/eks-log-forwarder-linseed-tls  (kubernetes.io/tls: tls.crt, tls.key)
#   - ConfigMap <namespace>/eks-log-forwarder-ca-bundle    (tigera-ca-bundle.crt: the CAs that
#     sign Linseed's server certificate, copied from the operator's calico-system/tigera-ca-bundle)
#
#   deploy/overlays/linseed/issue-client-cert.sh [--namespace tigera-operator] [--days 365]
#       [--context C] [--kubeconfig F] [--ca-bundle-file F] [--signer NAME] [--wait SECONDS]
#
# Run it once before `kubectl apply -k deploy/overlays/linseed`, and again before the
# certificate expires (it prints the date; the pods pick the new files up without a restart).
#
# Needs: bash, kubectl, openssl, and a kubeconfig that may
#   - get Secret tigera-operator/tigera-ca-private (the operator's CA: tls.crt, tls.key),
#   - get ConfigMap calico-system/tigera-ca-bundle,
#   - create/patch the Secret and the ConfigMap above in <namespace>
# (cluster-admin has all three). Linseed accepts any client certificate that chains to a CA in
# its trusted bundle and checks nothing else in it (no name): who the caller is comes from the
# bearer token, what it may do from RBAC. The certificate is for client authentication only.
#
# Never keeps: the CA's private key is streamed from the API server into openssl through a pipe
# and never written to a file; the new private key exists outside the Secret only in a private
# temporary directory (mode 0700) that is removed on exit, whatever happens. Nothing is printed
# but names, the subject and the expiry date.
#
# With Installation.spec.certificateManagement set, the operator holds no CA key
# (tigera-ca-private is not used): the script then submits a Kubernetes CertificateSigningRequest
# to the signer named there (override with --signer), approves it as the admin running it, and
# waits for your signer to issue it. The operator's own signer, tigera.io/operator-signer,
# signs only an allow-list of its components' secrets and denies every other request
# (tigera/operator pkg/controller/csr/csr_controller.go, validate), so it cannot be used.
set -euo pipefail

NAMESPACE=tigera-operator
OPERATOR_NAMESPACE=tigera-operator
CA_SECRET=tigera-ca-private
BUNDLE_SOURCE_NAMESPACE=calico-system
BUNDLE_SOURCE=tigera-ca-bundle
SECRET=eks-log-forwarder-linseed-tls
BUNDLE=eks-log-forwarder-ca-bundle
COMMON_NAME=eks-log-forwarder-linseed-tls
DAYS=365
SIGNER=
WAIT=300
CA_BUNDLE_FILE=
KUBECTL_ARGS=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "issue-client-cert: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) NAMESPACE=${2:?}; shift 2 ;;
    --operator-namespace) OPERATOR_NAMESPACE=${2:?}; shift 2 ;;
    --days) DAYS=${2:?}; shift 2 ;;
    --signer) SIGNER=${2:?}; shift 2 ;;
    --wait) WAIT=${2:?}; shift 2 ;;
    --ca-bundle-file) CA_BUNDLE_FILE=${2:?}; shift 2 ;;
    --context) KUBECTL_ARGS+=("--context=${2:?}"); shift 2 ;;
    --kubeconfig) KUBECTL_ARGS+=("--kubeconfig=${2:?}"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
case "$DAYS" in ''|*[!0-9]*) die "--days must be a positive whole number" ;; esac
[ "$DAYS" -gt 0 ] || die "--days must be a positive whole number"

command -v kubectl >/dev/null || die "kubectl not found"
command -v openssl >/dev/null || die "openssl not found"
k() { kubectl "${KUBECTL_ARGS[@]}" "$@"; }

umask 077
WORK=$(mktemp -d "${TMPDIR:-/tmp}/eks-log-forwarder-cert.XXXXXX")
CSR_OBJECT=
cleanup() {
  rm -rf "$WORK"
  if [ -n "$CSR_OBJECT" ]; then k delete csr "$CSR_OBJECT" --ignore-not-found >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The signer: an explicit --signer, else the Installation's certificateManagement, else the CA.
if [ -z "$SIGNER" ]; then
  SIGNER=$(k get installations.operator.tigera.io default -o 'jsonpath={.spec.certificateManagement.signerName}' 2>/dev/null || true)
fi

# The new key and its request. RSA 2048, as the operator's own certificates.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/tls.key" 2>/dev/null
openssl req -new -key "$WORK/tls.key" -subj "/CN=$COMMON_NAME" -out "$WORK/request.csr"

if [ -z "$SIGNER" ]; then
  k -n "$OPERATOR_NAMESPACE" get secret "$CA_SECRET" -o name >/dev/null \
    || die "cannot read Secret $OPERATOR_NAMESPACE/$CA_SECRET (the operator's CA; an admin kubeconfig is needed)"
  ca_field() { k -n "$OPERATOR_NAMESPACE" get secret "$CA_SECRET" -o "jsonpath={.data.tls\\.$1}" | openssl base64 -d -A; }
  ca_field crt > "$WORK/ca.crt" # the public half, for checking and for the bundle fallback
  [ -s "$WORK/ca.crt" ] || die "Secret $OPERATOR_NAMESPACE/$CA_SECRET has no tls.crt"
  # x509v3 extensions of a client certificate; no SAN is needed (Linseed checks no name).
  printf '%s\n' \
    'basicConstraints = critical, CA:FALSE' \
    'keyUsage = critical, digitalSignature, keyEncipherment' \
    'extendedKeyUsage = clientAuth' \
    'subjectKeyIdentifier = hash' \
    'authorityKeyIdentifier = keyid' > "$WORK/ext.cnf"
  # The CA key only ever flows through this pipe.
  openssl x509 -req -in "$WORK/request.csr" -CA "$WORK/ca.crt" -CAkey <(ca_field key) \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 \
    -extfile "$WORK/ext.cnf" -out "$WORK/tls.crt" 2>"$WORK/openssl.err" \
    || die "signing failed: $(cat "$WORK/openssl.err")"
  openssl verify -CAfile "$WORK/ca.crt" -purpose sslclient "$WORK/tls.crt" >/dev/null \
    || die "the new certificate does not verify against $CA_SECRET as a client certificate"
  ISSUER="$OPERATOR_NAMESPACE/$CA_SECRET"
else
  [ "$SIGNER" != "tigera.io/operator-signer" ] \
    || die "tigera.io/operator-signer signs only the operator's own components; use the CA (omit --signer)"
  CSR_OBJECT="$SECRET-$(openssl rand -hex 4)"
  k create -f - >/dev/null <<EOF
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: $CSR_OBJECT
  labels:
    app.kubernetes.io/name: eks-log-forwarder
spec:
  signerName: $SIGNER
  expirationSeconds: $((DAYS * 86400))
  usages: ["digital signature", "key encipherment", "client auth"]
  request: $(openssl base64 -A -in "$WORK/request.csr")
EOF
  k certificate approve "$CSR_OBJECT" >/dev/null
  echo "issue-client-cert: CertificateSigningRequest $CSR_OBJECT approved; waiting up to ${WAIT}s for $SIGNER to issue it" >&2
  deadline=$((SECONDS + WAIT))
  while :; do
    cert=$(k get csr "$CSR_OBJECT" -o 'jsonpath={.status.certificate}')
    if [ -n "$cert" ]; then printf '%s' "$cert" | openssl base64 -d -A > "$WORK/tls.crt"; break; fi
    if k get csr "$CSR_OBJECT" -o 'jsonpath={range .status.conditions[*]}{.type}{"\n"}{end}' | grep -qE '^(Denied|Failed)$'; then
      die "$SIGNER refused CertificateSigningRequest $CSR_OBJECT"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "$SIGNER did not issue CertificateSigningRequest $CSR_OBJECT within ${WAIT}s"
    sleep 2
  done
  ISSUER="signer $SIGNER"
fi

# The key and the certificate belong together (a signer could have answered for another key).
[ "$(openssl x509 -in "$WORK/tls.crt" -noout -pubkey | openssl sha256)" = "$(openssl pkey -in "$WORK/tls.key" -pubout | openssl sha256)" ] \
  || die "the issued certificate is not for the new key"

# The CAs Linseed's server certificate chains to: the operator's trusted bundle.
if [ -n "$CA_BUNDLE_FILE" ]; then
  cp "$CA_BUNDLE_FILE" "$WORK/bundle.crt"
else
  k -n "$BUNDLE_SOURCE_NAMESPACE" get configmap "$BUNDLE_SOURCE" -o 'jsonpath={.data.tigera-ca-bundle\.crt}' > "$WORK/bundle.crt" 2>/dev/null || true
  if [ ! -s "$WORK/bundle.crt" ] && [ -s "$WORK/ca.crt" ]; then
    echo "issue-client-cert: ConfigMap $BUNDLE_SOURCE_NAMESPACE/$BUNDLE_SOURCE not found; using the CA certificate of $CA_SECRET" >&2
    cp "$WORK/ca.crt" "$WORK/bundle.crt"
  fi
fi
grep -q 'BEGIN CERTIFICATE' "$WORK/bundle.crt" 2>/dev/null \
  || die "no CA bundle: ConfigMap $BUNDLE_SOURCE_NAMESPACE/$BUNDLE_SOURCE is missing; pass --ca-bundle-file"

EXPIRY=$(openssl x509 -in "$WORK/tls.crt" -noout -enddate | cut -d= -f2)
# Server-side apply: no last-applied-configuration annotation (which would hold a second copy of
# the key), and a re-run replaces the certificate in place.
k -n "$NAMESPACE" create secret tls "$SECRET" --cert="$WORK/tls.crt" --key="$WORK/tls.key" --dry-run=client -o yaml \
  | k label --local -f - -o yaml app.kubernetes.io/name=eks-log-forwarder \
  | k annotate --local -f - -o yaml "eks-log-forwarder/issuer=$ISSUER" "eks-log-forwarder/expiry=$EXPIRY" \
  | k apply --server-side --force-conflicts --field-manager=eks-log-forwarder-issue-client-cert -f - >/dev/null
k -n "$NAMESPACE" create configmap "$BUNDLE" --from-file=tigera-ca-bundle.crt="$WORK/bundle.crt" --dry-run=client -o yaml \
  | k label --local -f - -o yaml app.kubernetes.io/name=eks-log-forwarder \
  | k apply --server-side --force-conflicts --field-manager=eks-log-forwarder-issue-client-cert -f - >/dev/null

echo "Secret $NAMESPACE/$SECRET: client certificate CN=$COMMON_NAME from $ISSUER, valid until $EXPIRY"
echo "ConfigMap $NAMESPACE/$BUNDLE: CA bundle for Linseed's server certificate"
