package circle

import (
	"context"
	"net/http"
)

// Direct uploads (POST /direct_uploads): Circle records the file's name,
// type, size and MD5 and answers with a signed URL that the client PUTs
// the file to itself, so that no file passes through the gateway. The
// blob's SignedID then names the file wherever Circle takes one (a
// member's avatar, a post's cover image).

// NewBlob describes a file before it is uploaded: the body of POST
// /direct_uploads, inside its {"blob": …} envelope.
type NewBlob struct {
	// Key is sent empty, as Circle's own client does: Circle picks the key.
	Key         string `json:"key"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	ByteSize    int64  `json:"byte_size"`
	// Checksum is the Base64 of the file's MD5 digest.
	Checksum string `json:"checksum"`
}

// DirectUpload is Circle's answer to POST /direct_uploads.
type DirectUpload struct {
	ID             int64  `json:"id"`
	Key            string `json:"key"`
	Filename       string `json:"filename"`
	ContentType    string `json:"content_type"`
	ByteSize       int64  `json:"byte_size"`
	Checksum       string `json:"checksum"`
	SignedID       string `json:"signed_id"`
	AttachableSGID string `json:"attachable_sgid"`
	// URL is where the file is served once uploaded.
	URL string `json:"url"`
	// Target is where and how to PUT the file.
	Target struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	} `json:"direct_upload"`
}

// CreateDirectUpload records a file to upload: POST /direct_uploads.
func (m *MemberAPI) CreateDirectUpload(ctx context.Context, b NewBlob) (*DirectUpload, error) {
	var out DirectUpload
	body := struct {
		Blob NewBlob `json:"blob"`
	}{b}
	if err := m.write(ctx, http.MethodPost, "/direct_uploads", "/direct_uploads", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
