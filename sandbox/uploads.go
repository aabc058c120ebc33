package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Direct uploads, as Circle runs them with Rails' Active Storage: POST
// /direct_uploads records a blob (name, type, size, MD5) and answers with
// a signed upload URL and the headers to PUT the file with; the client PUTs
// the bytes there itself, never through the gateway; the blob's signed_id
// then names the file wherever Circle takes one (a member's avatar, a
// post's cover image). The sandbox serves the upload URL on its own server
// (under /rails/active_storage/, as Active Storage's disk service does),
// checks each file against what was declared, keeps the bytes in memory
// (bounded) and serves them back at the blob's URL, so that the whole flow
// works with `go run .`.

// Bounds of the sandbox's upload store.
const (
	// maxUploadBytes is the largest file the sandbox takes. Circle takes
	// far bigger ones; the sandbox keeps files in memory.
	maxUploadBytes = 8 << 20
	// maxStoredUploadBytes bounds the bytes of every file kept; the oldest
	// files are dropped to make room (their URLs then answer 404).
	maxStoredUploadBytes = 64 << 20
	// uploadURLLifetime is how long an upload URL works, Active Storage's
	// default.
	uploadURLLifetime = 5 * time.Minute
	// firstBlobID starts the blob ids, a range of their own.
	firstBlobID = 90001
)

// Upload routes outside the APIs, as Active Storage's disk service has them.
const (
	uploadPathPrefix = "/rails/active_storage/disk/"
	blobPathPrefix   = "/rails/active_storage/blobs/"
)

// blob is one direct upload.
type blob struct {
	id          int64
	memberID    int64
	key         string
	filename    string
	contentType string
	byteSize    int64
	checksum    string // base64 of the MD5 of the bytes
	createdAt   time.Time
	// uploadToken authorizes the PUT of the bytes until tokenExpires.
	uploadToken  string
	tokenExpires time.Time
	signedID     string
	// serviceURL is where the file is served once uploaded.
	serviceURL string
	data       []byte
	uploaded   bool
}

// uploadStore holds the sandbox's blobs.
type uploadStore struct {
	secret []byte
	now    func() time.Time

	mu     sync.Mutex
	blobs  map[int64]*blob
	tokens map[string]int64 // upload token → blob id
	order  []int64          // uploaded blobs, oldest first
	stored int64            // bytes of every file kept
	nextID int64
}

func newUploadStore(secret []byte, now func() time.Time) *uploadStore {
	return &uploadStore{secret: secret, now: now, blobs: map[int64]*blob{}, tokens: map[string]int64{}, nextID: firstBlobID}
}

// Messages of upload failures, in Rails' wording.
const (
	msgBlobInvalid = "Validation failed"
)

// wireDirectUpload is POST /direct_uploads' answer (direct_upload_response).
type wireDirectUpload struct {
	ID                int64            `json:"id"`
	Key               string           `json:"key"`
	Filename          string           `json:"filename"`
	ContentType       string           `json:"content_type"`
	Metadata          map[string]any   `json:"metadata"`
	ByteSize          int64            `json:"byte_size"`
	Checksum          string           `json:"checksum"`
	CreatedAt         string           `json:"created_at"`
	CommunityID       int64            `json:"community_id"`
	CommunityMemberID int64            `json:"community_member_id"`
	ServiceName       string           `json:"service_name"`
	SignedID          string           `json:"signed_id"`
	AttachableSGID    string           `json:"attachable_sgid"`
	DirectUpload      wireUploadTarget `json:"direct_upload"`
	URL               string           `json:"url"`
}

// wireUploadTarget is where and how to PUT the file.
type wireUploadTarget struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// directUploadRequest is POST /direct_uploads' body.
type directUploadRequest struct {
	Blob *blobParams `json:"blob"`
}

// blobParams describe the file to upload.
type blobParams struct {
	Key         *string        `json:"key"`
	Filename    string         `json:"filename"`
	ContentType string         `json:"content_type"`
	ByteSize    int64          `json:"byte_size"`
	Checksum    string         `json:"checksum"`
	Metadata    map[string]any `json:"metadata"`
}

// create records a blob for viewer and answers with its upload target.
// base is the sandbox's own URL (scheme and host), where the file goes.
func (u *uploadStore) create(viewer int64, req directUploadRequest, base string) (wireDirectUpload, error) {
	if req.Blob == nil {
		return wireDirectUpload{}, &apiError{status: http.StatusBadRequest, message: "param is missing or the value is empty: blob"}
	}
	in := req.Blob
	problems := map[string][]string{}
	if strings.TrimSpace(in.Filename) == "" {
		problems["filename"] = []string{"can't be blank"}
	} else if utf8.RuneCountInString(in.Filename) > 255 {
		problems["filename"] = []string{"is too long (maximum is 255 characters)"}
	}
	if mt, _, err := mime.ParseMediaType(in.ContentType); err != nil || !strings.Contains(mt, "/") {
		problems["content_type"] = []string{"is invalid"}
	}
	switch {
	case in.ByteSize <= 0:
		problems["byte_size"] = []string{"must be greater than 0"}
	case in.ByteSize > maxUploadBytes:
		problems["byte_size"] = []string{"must be less than or equal to " + strconv.Itoa(maxUploadBytes) + " in the sandbox"}
	}
	if sum, err := base64.StdEncoding.DecodeString(in.Checksum); err != nil || len(sum) != md5.Size {
		problems["checksum"] = []string{"is not a Base64 MD5 digest"}
	}
	if len(problems) > 0 {
		return wireDirectUpload{}, invalid(blobMessage(problems), problems)
	}

	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.now()
	b := &blob{
		id: u.nextID, memberID: viewer, key: randomKey(), filename: strings.TrimSpace(in.Filename),
		contentType: in.ContentType, byteSize: in.ByteSize, checksum: in.Checksum, createdAt: now,
		uploadToken: randomToken(), tokenExpires: now.Add(uploadURLLifetime),
	}
	u.nextID++
	b.signedID = u.sign(b.id)
	b.serviceURL = base + blobPathPrefix + url.PathEscape(b.signedID) + "/" + url.PathEscape(b.filename)
	u.blobs[b.id] = b
	u.tokens[b.uploadToken] = b.id
	return wireDirectUpload{
		ID: b.id, Key: b.key, Filename: b.filename, ContentType: b.contentType,
		Metadata: map[string]any{"identified": true}, ByteSize: b.byteSize, Checksum: b.checksum,
		CreatedAt: b.createdAt.UTC().Format("2006-01-02T15:04:05.000Z"), CommunityID: communityID,
		CommunityMemberID: viewer, ServiceName: "sandbox", SignedID: b.signedID,
		AttachableSGID: "sandbox-sgid--" + b.signedID,
		DirectUpload: wireUploadTarget{
			URL:     base + uploadPathPrefix + b.uploadToken,
			Headers: map[string]string{"Content-Type": b.contentType},
		},
		URL: b.serviceURL,
	}, nil
}

// blobMessage is Rails' message for an invalid blob.
func blobMessage(problems map[string][]string) string {
	var parts []string
	for _, name := range []string{"filename", "content_type", "byte_size", "checksum"} {
		for _, p := range problems[name] {
			label := strings.ReplaceAll(name, "_", " ")
			parts = append(parts, strings.ToUpper(label[:1])+label[1:]+" "+p)
		}
	}
	return msgBlobInvalid + ": " + strings.Join(parts, ", ")
}

// sign makes a blob's signed_id, in Active Storage's shape: a base64
// message, "--", and an HMAC of it.
func (u *uploadStore) sign(id int64) string {
	msg := base64.StdEncoding.EncodeToString([]byte(`{"_rails":{"data":` + strconv.FormatInt(id, 10) + `,"pur":"blob_id"}}`))
	return msg + "--" + u.mac(msg)
}

func (u *uploadStore) mac(msg string) string {
	h := hmac.New(sha256.New, u.secret)
	h.Write([]byte("blob_id:" + msg))
	return hex.EncodeToString(h.Sum(nil))[:40]
}

// errBadSignedID is a signed_id that is not one of the sandbox's.
var errBadSignedID = errors.New("not a signed blob id")

// blobBySignedID finds the blob a signed_id names; the caller holds mu.
func (u *uploadStore) blobBySignedIDLocked(signed string) (*blob, error) {
	msg, sig, ok := strings.Cut(signed, "--")
	if !ok || !hmac.Equal([]byte(sig), []byte(u.mac(msg))) {
		return nil, errBadSignedID
	}
	raw, err := base64.StdEncoding.DecodeString(msg)
	if err != nil {
		return nil, errBadSignedID
	}
	var v struct {
		Rails struct {
			Data int64 `json:"data"`
		} `json:"_rails"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil, errBadSignedID
	}
	b, ok := u.blobs[v.Rails.Data]
	if !ok {
		return nil, errBadSignedID
	}
	return b, nil
}

// attachable returns a copy of the uploaded blob a signed_id names, for
// attaching it to a record: the file must have been uploaded.
func (u *uploadStore) attachable(signed string) (*blob, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, err := u.blobBySignedIDLocked(signed)
	if err != nil {
		return nil, err
	}
	if !b.uploaded {
		return nil, errors.New("the file was not uploaded")
	}
	cp := *b
	cp.data = nil
	return &cp, nil
}

// put stores the bytes of the blob an upload token names, after checking
// them against what was declared, as Active Storage's disk service does:
// 404 for an unknown or expired token, 422 when type, length or checksum
// differ.
func (u *uploadStore) put(token, contentType string, body []byte) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	id, ok := u.tokens[token]
	b := u.blobs[id]
	if !ok || b == nil || u.now().After(b.tokenExpires) {
		return http.StatusNotFound
	}
	sum := md5.Sum(body)
	if contentType != b.contentType || int64(len(body)) != b.byteSize || base64.StdEncoding.EncodeToString(sum[:]) != b.checksum {
		return http.StatusUnprocessableEntity
	}
	if b.uploaded {
		u.stored -= int64(len(b.data))
		u.order = removeID(u.order, b.id)
	}
	for u.stored+int64(len(body)) > maxStoredUploadBytes && len(u.order) > 0 {
		old := u.blobs[u.order[0]]
		u.order = u.order[1:]
		u.stored -= int64(len(old.data))
		old.data, old.uploaded = nil, false
	}
	b.data, b.uploaded = bytes.Clone(body), true
	u.stored += int64(len(body))
	u.order = append(u.order, b.id)
	return http.StatusNoContent
}

// file returns the bytes and type of an uploaded blob, by signed_id.
func (u *uploadStore) file(signed string) ([]byte, string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, err := u.blobBySignedIDLocked(signed)
	if err != nil || !b.uploaded {
		return nil, "", false
	}
	return b.data, b.contentType, true
}

// randomKey is a blob key like Active Storage's: 28 lowercase base36
// characters.
func randomKey() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	raw := randomBytes(28)
	for i, c := range raw {
		raw[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(raw)
}

// sandboxBase is the scheme and host the request reached the sandbox at:
// where its upload and blob routes are.
func sandboxBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// --- handlers ---

func (s *Sandbox) createDirectUpload(w http.ResponseWriter, r *http.Request, viewer int64) {
	var req directUploadRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	out, err := s.uploads.create(viewer, req, sandboxBase(r))
	answer(w, out, err)
}

// uploadCORS lets a page on any origin PUT a file and read it back, as a
// storage bucket set up for direct uploads does.
func uploadCORS(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "PUT, GET, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Content-MD5, Content-Disposition")
	h.Set("Access-Control-Max-Age", "600")
}

// uploadFile is PUT /rails/active_storage/disk/{token}: the file itself.
// The token in the URL is the authorization; there is no bearer token.
func (s *Sandbox) uploadFile(w http.ResponseWriter, r *http.Request) {
	uploadCORS(w)
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPut:
	default:
		w.Header().Set("Allow", "PUT, OPTIONS")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUploadBytes+1))
	if err != nil {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	w.WriteHeader(s.uploads.put(r.PathValue("token"), r.Header.Get("Content-Type"), body))
}

// serveBlob is GET /rails/active_storage/blobs/{signed_id}/{filename}: an
// uploaded file, for avatars and images to render.
func (s *Sandbox) serveBlob(w http.ResponseWriter, r *http.Request) {
	uploadCORS(w)
	data, contentType, ok := s.uploads.file(r.PathValue("signed_id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// uploadRoutes adds the direct upload endpoint and the file routes.
func (s *Sandbox) uploadRoutes(member func(method, path string, h memberHandler), mux *http.ServeMux) {
	member(http.MethodPost, "/direct_uploads", s.createDirectUpload)
	mux.HandleFunc(uploadPathPrefix+"{token}", s.uploadFile)
	mux.HandleFunc("GET "+blobPathPrefix+"{signed_id}/{filename}", s.serveBlob)
}
