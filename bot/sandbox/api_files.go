package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// maxUpload caps what the sandbox keeps in memory per file.
const maxUpload = 64 << 20

// filesGetUploadURLExternal is step 1 of Slack's v2 upload flow: reserve a
// file id and hand out a one-off URL to POST the bytes to.
func (s *Server) filesGetUploadURLExternal(r *apiRequest) (map[string]any, *apiError) {
	name := r.args.Get("filename")
	length, err := strconv.Atoi(r.args.Get("length"))
	if name == "" || err != nil || length <= 0 {
		return nil, errCode("invalid_arguments", "filename and a positive length are required")
	}
	if length > maxUpload {
		return nil, errCode("invalid_arguments", fmt.Sprintf("the sandbox keeps files up to %d bytes", maxUpload))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	f := &file{
		id: fmt.Sprintf("F%010d", s.seq), name: name, length: length,
		user: s.opts.BotUserID, uploadKey: randomHex(12), created: s.opts.Now(),
	}
	s.files[f.id] = f
	return map[string]any{
		"upload_url": requestBase(r.http) + "/upload/v1/" + f.uploadKey,
		"file_id":    f.id,
	}, nil
}

// serveUpload is step 2: the client POSTs the bytes, raw or as a multipart
// form (slack-go sends a multipart "file" field).
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	s.count("upload")
	if s.injectFault(w, "upload") {
		return
	}
	content, size, err := readUploadBody(r, s.opts.DiscardUploads)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var f *file
	for _, c := range s.files {
		if c.uploadKey == r.PathValue("id") && !c.uploaded {
			f = c
		}
	}
	if f == nil {
		http.Error(w, "unknown or used upload URL", http.StatusNotFound)
		return
	}
	f.content, f.size, f.uploaded = content, size, true
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintf(w, "OK - %d", size)
}

func readUploadBody(r *http.Request, discard bool) ([]byte, int, error) {
	body := io.LimitReader(r.Body, maxUpload+1)
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return readUpload(body, discard)
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, 0, fmt.Errorf("multipart upload without a file part: %w", err)
		}
		if p.FileName() != "" || p.FormName() == "file" {
			return readUpload(p, discard)
		}
	}
}

// readUpload reads a file's bytes, or only counts them when discard is set.
func readUpload(r io.Reader, discard bool) ([]byte, int, error) {
	if discard {
		n, err := io.Copy(io.Discard, r)
		return nil, int(n), err
	}
	b, err := io.ReadAll(r)
	return b, len(b), err
}

// filesCompleteUploadExternal is step 3: name the uploaded files and share
// them, into a thread when thread_ts is given, as one message with files.
func (s *Server) filesCompleteUploadExternal(r *apiRequest) (map[string]any, *apiError) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(r.args.Get("files")), &summaries); err != nil || len(summaries) == 0 {
		return nil, errCode("invalid_arguments", "files must be a JSON array of {id, title}")
	}
	var blocks json.RawMessage
	if raw := r.args.Get("blocks"); raw != "" {
		var e *apiError
		if blocks, e = normalizeBlocks(raw); e != nil {
			return nil, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var files []*file
	for _, sum := range summaries {
		f := s.files[sum.ID]
		if f == nil || !f.uploaded || f.completed {
			return nil, errCode("file_not_found", sum.ID+" was not uploaded or is already complete")
		}
		if f.size != f.length {
			return nil, errCode("invalid_arguments", fmt.Sprintf("%s: uploaded %d bytes, declared length %d", f.id, f.size, f.length))
		}
		files = append(files, f)
	}
	channels := splitNonEmpty(r.args.Get("channels"))
	if c := r.args.Get("channel_id"); c != "" {
		channels = append([]string{c}, channels...)
	}
	var targets []*channelState
	for _, ref := range channels {
		c := s.channelLocked(ref)
		if c == nil {
			return nil, errCode("channel_not_found")
		}
		targets = append(targets, c)
	}
	if r.args.Get("thread_ts") != "" && len(targets) != 1 {
		return nil, errCode("invalid_arguments", "thread_ts needs exactly one channel")
	}
	threads := make([]string, len(targets))
	for i, c := range targets {
		var e *apiError
		if threads[i], e = threadArg(c, r); e != nil {
			return nil, e
		}
	}
	out := make([]wireFile, 0, len(files))
	for i, f := range files {
		f.completed = true
		f.title = summaries[i].Title
		if f.title == "" {
			f.title = f.name
		}
		s.fileOrder = append(s.fileOrder, f.id)
	}
	for i, c := range targets {
		thread := threads[i]
		m := &message{
			channel: c.ID, ts: s.clock.next(), threadTS: thread, user: s.opts.BotUserID,
			botID: s.opts.BotID, text: r.args.Get("initial_comment"), blocks: blocks, upload: true,
		}
		for _, f := range files {
			m.files = append(m.files, f.id)
			if f.channel == "" {
				f.channel, f.threadTS = c.ID, thread
			}
		}
		c.add(m)
	}
	for _, f := range files {
		out = append(out, s.wireFileLocked(f))
	}
	s.bumpLocked()
	return map[string]any{"files": out}, nil
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// serveFile serves a shared file's bytes: the page's download links and a
// client's url_private both land here.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.files[r.PathValue("id")]
	found := f != nil && f.completed
	var content []byte
	var name string
	if found {
		content, name = f.content, f.name
	}
	s.mu.Unlock()
	if !found {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(fileExt(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, _ = w.Write(content)
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}
