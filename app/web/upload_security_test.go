package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
				b := u.browser()
				b.login(u.active)
				req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/octet-stream")
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Accept-Language", tt.lang)
				req.Header.Set("X-CSRF-Token", b.csrf())
				r = b.do(req)
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
