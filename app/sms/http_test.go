package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"scanboard/app/sms"
)

// fakeGateway answers like the gateway, recording what it received.
func fakeGateway(t *testing.T, status int, code string) (*httptest.Server, *[]map[string]string) {
	t.Helper()
	var got []map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":"Unauthorized","message":"bad token"}`))
			return
		}
		var m map[string]string
		_ = json.NewDecoder(r.Body).Decode(&m)
		got = append(got, m)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"code":"` + code + `","message":"m"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestHTTPSender(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		code    string
		token   string
		wantErr bool
	}{
		{"accepted", 200, "OK", "tok", false},
		{"refused by code", 200, "isv.BUSINESS_LIMIT_CONTROL", "tok", true},
		{"server error", 500, "OK", "tok", true},
		{"wrong token", 200, "OK", "nope", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := fakeGateway(t, tt.status, tt.code)
			s := sms.HTTPSender{URL: srv.URL, Token: tt.token, Sign: "Scanboard"}
			err := s.Send(context.Background(), "+8613800001234", "code 123456")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, sms.ErrRejected) {
				t.Fatalf("err = %v, want ErrRejected", err)
			}
			if !tt.wantErr && ((*got)[0]["phone"] != "+8613800001234" || (*got)[0]["sign"] != "Scanboard" || (*got)[0]["text"] != "code 123456") {
				t.Fatalf("gateway got %v", *got)
			}
		})
	}
}

func TestHTTPSenderUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	err := sms.HTTPSender{URL: srv.URL}.Send(context.Background(), "+8613800001234", "x")
	if err == nil || errors.Is(err, sms.ErrRejected) {
		t.Fatalf("err = %v, want a transport error", err)
	}
}
