package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HTTPSender posts messages to an SMS gateway: JSON {"phone","text","sign"} with a bearer
// token, answered by {"code":"OK"} on success (the shape of Aliyun-style gateways fronted by
// a small relay). The base URL is configurable, so tests point it at an httptest server.
type HTTPSender struct {
	URL    string
	Token  string
	Sign   string
	Client *http.Client // nil: a client with a 10 s timeout
}

type gatewayRequest struct {
	Phone string `json:"phone"`
	Text  string `json:"text"`
	Sign  string `json:"sign,omitempty"`
}

type gatewayResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Send delivers one message. A non-2xx answer or a code other than "OK" is ErrRejected
// with the gateway's message; the token never appears in errors.
func (s HTTPSender) Send(ctx context.Context, phone, text string) error {
	body, _ := json.Marshal(gatewayRequest{Phone: phone, Text: text, Sign: s.Sign})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: gateway unreachable: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var gr gatewayResponse
	_ = json.Unmarshal(raw, &gr)
	if resp.StatusCode/100 != 2 || gr.Code != "OK" {
		return fmt.Errorf("%w: HTTP %d, code %q: %s", ErrRejected, resp.StatusCode, gr.Code, gr.Message)
	}
	return nil
}
