package web

import (
	"net/http"
	"net/url"
	"strings"
)

// detach hands h a request it may keep parts of. Fiber's adaptor builds the net/http
// request over fasthttp's buffers (the URL, method, host and header strings alias memory
// fasthttp reuses for later requests), and the sandbox stores such strings — the appid a
// token was minted for — so a later request silently rewrote them (a valid token then
// answered 48001). Copying the few fields costs nothing next to a sandbox call.
func detach(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := new(http.Request)
		*r2 = *r
		u, err := url.Parse(r.URL.String()) // String builds a fresh string
		if err != nil {
			http.Error(w, "bad request URL", http.StatusBadRequest)
			return
		}
		r2.URL = u
		r2.Method = strings.Clone(r.Method)
		r2.Host = strings.Clone(r.Host)
		r2.RemoteAddr = strings.Clone(r.RemoteAddr)
		r2.RequestURI = strings.Clone(r.RequestURI)
		r2.Proto = strings.Clone(r.Proto)
		r2.Header = make(http.Header, len(r.Header))
		for k, vs := range r.Header {
			k = strings.Clone(k)
			for _, v := range vs {
				r2.Header[k] = append(r2.Header[k], strings.Clone(v))
			}
		}
		r2.TransferEncoding = nil
		for _, v := range r.TransferEncoding {
			r2.TransferEncoding = append(r2.TransferEncoding, strings.Clone(v))
		}
		h.ServeHTTP(w, r2)
	})
}
