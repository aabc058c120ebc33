package graph

// Helpers of createDirectUpload (upload.resolvers.go): which files the
// gateway lets a member upload, checked before Circle is asked.

import (
	"encoding/base64"
	"mime"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
)

// Upload size limits by kind of file, in bytes. Circle's documents state
// no limits; these bound what a member app sensibly sends (the largest is
// what GraphQL's 32-bit Int holds).
const (
	maxImageBytes    = 25 << 20
	maxVideoBytes    = 1<<31 - 1
	maxAudioBytes    = 500 << 20
	maxDocumentBytes = 100 << 20
	maxFilenameChars = 255
)

// uploadLimits maps each accepted MIME type to its size limit. SVG and
// HTML are left out on purpose: served back from a community's domain they
// can carry scripts.
var uploadLimits = func() map[string]int64 {
	m := map[string]int64{}
	for _, t := range []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif", "image/avif"} {
		m[t] = maxImageBytes
	}
	for _, t := range []string{"video/mp4", "video/quicktime", "video/webm", "video/x-m4v"} {
		m[t] = maxVideoBytes
	}
	for _, t := range []string{"audio/mpeg", "audio/mp4", "audio/aac", "audio/wav", "audio/x-wav", "audio/ogg", "audio/webm"} {
		m[t] = maxAudioBytes
	}
	for _, t := range []string{
		"application/pdf", "text/plain", "text/csv", "application/zip",
		"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
		"application/vnd.oasis.opendocument.presentation",
	} {
		m[t] = maxDocumentBytes
	}
	return m
}()

// uploadFields maps Circle's blob fields to the input's.
var uploadFields = fieldPaths{
	"filename":     {"input", "filename"},
	"content_type": {"input", "contentType"},
	"byte_size":    {"input", "byteSize"},
	"checksum":     {"input", "checksum"},
}

// newBlob checks a CreateDirectUploadInput and turns it into Circle's
// request. A checksum that is not a Base64 MD5 digest is the client's bug
// (BAD_USER_INPUT); a file the member picked that is not accepted (type,
// size, name) is userErrors.
func newBlob(in model.CreateDirectUploadInput) (circle.NewBlob, []*model.UserError, error) {
	if sum, err := base64.StdEncoding.DecodeString(in.Checksum); err != nil || len(sum) != 16 {
		return circle.NewBlob{}, nil, badInput("input.checksum must be the Base64 of the file's MD5 digest (24 characters)")
	}
	var problems []*model.UserError
	problem := func(field, msg string) {
		problems = append(problems, &model.UserError{Field: []string{"input", field}, Message: msg})
	}
	name := strings.TrimSpace(in.Filename)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		problem("filename", "filename must not be empty")
	case n > maxFilenameChars:
		problem("filename", "filename must be at most 255 characters")
	case strings.ContainsAny(name, `/\`) || !printable(name):
		problem("filename", "filename must be a plain file name, without a path or control characters")
	}
	mediaType, params, err := mime.ParseMediaType(in.ContentType)
	limit, accepted := uploadLimits[mediaType]
	switch {
	case err != nil || len(params) > 0:
		problem("contentType", "contentType must be a plain MIME type such as image/png, without parameters")
	case !accepted:
		problem("contentType", "files of type "+truncate(mediaType, 60)+" cannot be uploaded; accepted are images, videos, audio, PDF, text and office documents")
	}
	switch {
	case in.ByteSize < 1:
		problem("byteSize", "byteSize must be at least 1: the file is empty")
	case accepted && int64(in.ByteSize) > limit:
		problem("byteSize", "the file is too big: "+mediaType+" files may be at most "+humanBytes(limit))
	}
	if len(problems) > 0 {
		return circle.NewBlob{}, problems, nil
	}
	return circle.NewBlob{Filename: name, ContentType: mediaType, ByteSize: int64(in.ByteSize), Checksum: in.Checksum}, nil, nil
}

// humanBytes writes a limit in MiB when it is a whole number of them, else
// in bytes.
func humanBytes(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// directUpload is the GraphQL view of Circle's answer; headers are sorted
// by name so that the answer is the same every time.
func directUpload(u *circle.DirectUpload) *model.DirectUpload {
	headers := make([]*model.HTTPHeader, 0, len(u.Target.Headers))
	for name, value := range u.Target.Headers {
		headers = append(headers, &model.HTTPHeader{Name: name, Value: value})
	}
	sort.Slice(headers, func(i, j int) bool { return headers[i].Name < headers[j].Name })
	return &model.DirectUpload{
		SignedID:       u.SignedID,
		UploadURL:      u.Target.URL,
		UploadHeaders:  headers,
		Filename:       u.Filename,
		ContentType:    u.ContentType,
		ByteSize:       int(u.ByteSize),
		Checksum:       u.Checksum,
		URL:            nonEmptyString(u.URL),
		AttachableSgid: nonEmptyString(u.AttachableSGID),
	}
}
