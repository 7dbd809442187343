package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"scanboard/app/reports"
)

// apiErr is the JSON body of a refused upload.
type apiErr struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// FILE-04 over HTTP: the API and the upload page refuse a file whose name does not fit its
// content, or has no name, with 400 and a message in the user's language that names the
// file and the problem.
func TestFILE04_UploadNameMustFitContent(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	raw, _ := u.token(u.active)
	xmlBody := string(sharedFile(t, "examples", "jmeter.jtl.xml"))
	tests := []struct {
		name, path, body, lang string
		hdr                    []string
		browser                bool
		want                   int
		code                   string
		says                   string
	}{
		{"XML named .csv, en", "/api/v1/projects/shop/runs?filename=results.csv", xmlBody, "en", nil, false,
			http.StatusBadRequest, "error.upload_extension_mismatch", "results.csv: the content is jmeter-xml, but the name ends in .csv. A file with this content must end in .xml, .jtl"},
		{"XML named .csv, zh-CN", "/api/v1/projects/shop/runs?filename=results.csv", xmlBody, "zh-CN", nil, false,
			http.StatusBadRequest, "error.upload_extension_mismatch", "results.csv：文件内容是 jmeter-xml，但文件名以 .csv 结尾"},
		{"X-Filename wins over the query", "/api/v1/projects/shop/runs?filename=results.jtl", xmlBody, "en", []string{"X-Filename", "results.csv"}, false,
			http.StatusBadRequest, "error.upload_extension_mismatch", "results.csv"},
		{"no name, en", "/api/v1/projects/shop/runs", sampleCSV, "en", nil, false,
			http.StatusBadRequest, "error.upload_name_missing", "X-Filename header or the filename query parameter"},
		{"no name, zh-CN", "/api/v1/projects/shop/runs", sampleCSV, "zh-CN", nil, false,
			http.StatusBadRequest, "error.upload_name_missing", "上传缺少文件名"},
		{"page: an executable", "/upload/projects/shop/runs?filename=" + "setup.exe", sampleCSV, "en", nil, true,
			http.StatusBadRequest, "error.upload_extension", "setup.exe: the extension .exe is not accepted"},
		{"page: no extension, zh-CN", "/upload/projects/shop/runs?filename=results", sampleCSV, "zh-CN", nil, true,
			http.StatusBadRequest, "error.upload_no_extension", "results 没有扩展名"},
		{"XML named .jtl is taken", "/api/v1/projects/shop/runs?filename=results.jtl", xmlBody, "en", nil, false,
			http.StatusAccepted, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *http.Response
			if tt.browser {
				r = u.pageUpload(tt.path, tt.body, tt.lang)
			} else {
				r = u.apiPost(tt.path, raw, strings.NewReader(tt.body), int64(len(tt.body)), append([]string{"Accept-Language", tt.lang}, tt.hdr...)...)
			}
			if tt.want == http.StatusAccepted {
				if r.StatusCode != tt.want {
					t.Fatalf("= %d %s", r.StatusCode, readBody(r))
				}
				return
			}
			e := decodeJSON[apiErr](t, r)
			if r.StatusCode != tt.want || e.Code != tt.code || !strings.Contains(e.Error, tt.says) {
				t.Fatalf("= %d %+v, want %d %s saying %q", r.StatusCode, e, tt.want, tt.code, tt.says)
			}
		})
	}
	if n := len(u.leftovers()); n != 0 {
		t.Fatalf("%d temporary files left", n)
	}
}

// FILE-03 over HTTP: past the per-user file quota the API and the upload page answer 403
// with the quota's code and a message naming the file; content sent before still answers
// 200 with its run.
func TestFILE03_QuotaRefusal(t *testing.T) {
	u := newUploadEnvWith(t, 1<<20, reports.Config{QuotaFiles: 1})
	raw, _ := u.token(u.active)
	first := u.apiPost("/api/v1/projects/shop/runs?filename=first.csv", raw, strings.NewReader(sampleCSV), int64(len(sampleCSV)))
	if first.StatusCode != http.StatusAccepted {
		t.Fatalf("first upload = %d %s", first.StatusCode, readBody(first))
	}
	more := sampleCSV + "1719846000300,9,GET /more,200,true\n"
	tests := []struct {
		name, body, lang string
		browser          bool
		want             int
		says             string
	}{
		{"API, en", more, "en", false, http.StatusForbidden, "second.csv was not stored: you have reached the limit of stored uploads per user (1)"},
		{"API, zh-CN", more, "zh-CN", false, http.StatusForbidden, "second.csv 未保存：您存储的上传文件数已达每位用户的上限（1 个）"},
		{"page, en", more, "en", true, http.StatusForbidden, "second.csv was not stored"},
		{"content sent before", sampleCSV, "en", false, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *http.Response
			if tt.browser {
				r = u.pageUpload("/upload/projects/shop/runs?filename=second.csv", tt.body, tt.lang)
			} else {
				r = u.apiPost("/api/v1/projects/shop/runs?filename=second.csv", raw, strings.NewReader(tt.body), int64(len(tt.body)), "Accept-Language", tt.lang)
			}
			if tt.want == http.StatusOK {
				if rc := decodeJSON[reports.Receipt](t, r); r.StatusCode != tt.want || rc.DuplicateOf == 0 {
					t.Fatalf("= %d %+v, want 200 with the earlier run", r.StatusCode, rc)
				}
				return
			}
			e := decodeJSON[apiErr](t, r)
			if r.StatusCode != tt.want || e.Code != "error.upload_quota_files" || !strings.Contains(e.Error, tt.says) {
				t.Fatalf("= %d %+v, want %d saying %q", r.StatusCode, e, tt.want, tt.says)
			}
		})
	}
	if n := len(u.leftovers()); n != 0 {
		t.Fatalf("%d temporary files left", n)
	}
}

// pageUpload posts body the way the upload page does: signed in as the active user, with
// the session's CSRF token, asking for JSON in lang.
func (u *upEnv) pageUpload(path, body, lang string) *http.Response {
	b := u.browser()
	b.login(u.active)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", lang)
	req.Header.Set("X-CSRF-Token", b.csrf())
	return b.do(req)
}
