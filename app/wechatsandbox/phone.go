package wechatsandbox

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	views "scanboard/views/sandbox"
)

const (
	userCookie  = "sbx_uid"
	flashCookie = "sbx_flash"
)

func (s *Sandbox) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: cookiePath(s.cfg.BasePath),
		MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// flashRedirect shows text once on the next phone page.
func (s *Sandbox) flashRedirect(w http.ResponseWriter, r *http.Request, to, text string, isErr bool) {
	prefix := "ok:"
	if isErr {
		prefix = "err:"
	}
	s.setCookie(w, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(prefix+truncate(text, 300))), 60)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Sandbox) takeFlash(w http.ResponseWriter, r *http.Request) (string, bool) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", false
	}
	s.setCookie(w, flashCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return "", false
	}
	text, isErr := strings.CutPrefix(string(b), "err:")
	return strings.TrimPrefix(text, "ok:"), isErr
}

// safeNext accepts only a path inside the sandbox, so "next" cannot send anyone elsewhere.
func (s *Sandbox) safeNext(next string) string {
	base := s.cfg.BasePath + "/"
	if strings.HasPrefix(next, base) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n\t") {
		return next
	}
	return s.cfg.BasePath + "/phone"
}

// phoneView assembles the phone page for the chosen user.
func (s *Sandbox) phoneView(w http.ResponseWriter, r *http.Request, tab string) views.PhoneView {
	pg := s.page(w, r, "phone")
	v := views.PhoneView{Page: pg, Tab: tab, Colors: avatarColors(), OAName: s.cfg.OA.Name, MiniName: s.cfg.Mini.Name}
	v.Flash, v.FlashErr = s.takeFlash(w, r)
	cur, hasCur := s.phoneUser(r)
	s.mu.Lock()
	for _, p := range s.users.newestFirst(50) {
		v.Users = append(v.Users, cardOf(p))
	}
	if hasCur {
		c := cardOf(cur)
		v.Current = &c
		for i := len(cur.inbox) - 1; i >= 0; i-- {
			m := cur.inbox[i]
			v.Inbox = append(v.Inbox, views.Msg{Kind: m.Kind, From: m.From, Title: m.Title, Text: m.Text, URL: m.URL, At: m.At.Format("01-02 15:04:05")})
		}
	}
	phone := ""
	if hasCur {
		phone = cur.phone
	}
	s.mu.Unlock()
	for _, m := range s.sms.List(phone) {
		v.SMS = append(v.SMS, views.Msg{Kind: "SMS", From: m.Phone, Text: m.Text, At: m.At.Format("01-02 15:04:05")})
	}
	for _, p := range s.Pushes(10) {
		v.Pushes = append(v.Pushes, views.PushRow{ID: p.ID, Event: p.Event, Outcome: p.Outcome, Problem: p.Problem,
			At: fmt.Sprintf("%d", p.CreateTime), Attempts: len(p.Attempts)})
	}
	for _, t := range s.LiveTickets(20) {
		v.LiveQRs = append(v.LiveQRs, views.LiveQR{Label: pg.L("ticket_title") + " · " + t.Scene,
			Meta: t.Action, URL: s.cfg.BasePath + "/q/" + t.ID})
	}
	for _, a := range s.LiveLogins(20) {
		label := pg.L("web_login")
		if a.Kind == "wecom" {
			label = pg.L("wecom_login")
		}
		v.LiveQRs = append(v.LiveQRs, views.LiveQR{Label: label, Meta: a.RedirectURI,
			URL: s.cfg.BasePath + "/connect/confirm?uuid=" + a.UUID})
	}
	return v
}

func (s *Sandbox) phoneRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /phone", func(w http.ResponseWriter, r *http.Request) {
		tab := r.URL.Query().Get("tab")
		switch tab {
		case "home", "scan", "inbox", "mini":
		default:
			tab = "home"
		}
		s.render(w, r, http.StatusOK, views.PhonePage(s.phoneView(w, r, tab)))
	})
	mux.HandleFunc("POST /phone/users", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			s.flashRedirect(w, r, s.cfg.BasePath+"/phone", err.Error(), true)
			return
		}
		u, err := s.CreateUser(NewUser{
			Nickname: r.PostForm.Get("nickname"), AvatarColor: r.PostForm.Get("avatar_color"),
			Snapshot: r.PostForm.Get("snapshot") == "1", Phone: r.PostForm.Get("phone"),
			WeComUserID: strings.TrimSpace(r.PostForm.Get("wecom_userid")),
		})
		if err != nil {
			s.flashRedirect(w, r, s.cfg.BasePath+"/phone", err.Error(), true)
			return
		}
		s.setCookie(w, userCookie, u.ID, 30*24*3600)
		s.flashRedirect(w, r, s.cfg.BasePath+"/phone", u.Nickname+" ✓", false)
	})
	mux.HandleFunc("POST /phone/select", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		u, ok := s.User(r.PostForm.Get("user"))
		if !ok {
			s.flashRedirect(w, r, s.cfg.BasePath+"/phone", "no such user", true)
			return
		}
		s.setCookie(w, userCookie, u.ID, 30*24*3600)
		http.Redirect(w, r, s.safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	})
	for _, follow := range []bool{true, false} {
		path := "POST /phone/unfollow"
		if follow {
			path = "POST /phone/follow"
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			p, ok := s.phoneUser(r)
			if !ok {
				s.flashRedirect(w, r, s.cfg.BasePath+"/phone", "choose a user first", true)
				return
			}
			push, err := s.setFollow(r.Context(), p.id, follow)
			if err != nil {
				s.flashRedirect(w, r, s.cfg.BasePath+"/phone", err.Error(), true)
				return
			}
			s.flashRedirect(w, r, s.cfg.BasePath+"/phone", pushSummary(push), push.Outcome == "failed" || push.Outcome == "service_error")
		})
	}
	mux.HandleFunc("POST /phone/scan", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		content := strings.TrimSpace(r.PostForm.Get("content"))
		if id, ok := s.ticketIDFromURL(content); ok {
			http.Redirect(w, r, s.cfg.BasePath+"/q/"+id, http.StatusSeeOther)
			return
		}
		if uuid, ok := s.loginUUIDFromURL(content); ok {
			http.Redirect(w, r, s.cfg.BasePath+"/connect/confirm?uuid="+uuid, http.StatusSeeOther)
			return
		}
		p, ok := s.phoneUser(r)
		if !ok {
			s.flashRedirect(w, r, s.cfg.BasePath+"/phone?tab=scan", "choose a user first", true)
			return
		}
		res, err := s.Scan(r.Context(), p.id, content)
		if err != nil {
			s.flashRedirect(w, r, s.cfg.BasePath+"/phone?tab=scan", err.Error(), true)
			return
		}
		if res.Kind == "url" {
			// WeChat opens any other link in its own browser; here, in this browser, whose
			// sandbox user cookie stands in for being inside WeChat.
			http.Redirect(w, r, res.OpenURL, http.StatusSeeOther)
			return
		}
		s.flashRedirect(w, r, s.cfg.BasePath+"/phone?tab=inbox", pushSummary(res.Push), false)
	})
	mux.HandleFunc("GET /q/{id}", s.handleTicketPage)
	mux.HandleFunc("POST /q/{id}", s.handleTicketPage)
	mux.HandleFunc("GET /connect/confirm", s.handleConfirmPage)
	mux.HandleFunc("POST /connect/confirm", s.handleConfirmPage)
	mux.HandleFunc("POST /phone/mini", s.handlePhoneMini)
	mux.HandleFunc("GET /avatar/{id}/{size}", s.handleAvatar)
}

func pushSummary(p *Push) string {
	if p == nil {
		return "ok"
	}
	msg := fmt.Sprintf("%s → %s (%d attempts)", p.Event, p.Outcome, len(p.Attempts))
	if p.Problem != "" {
		msg += ": " + p.Problem
	}
	return msg
}

// pickUser shows the user picker that comes back to the current page.
func (s *Sandbox) pickUser(w http.ResponseWriter, r *http.Request, next string) {
	pg := s.page(w, r, "users")
	v := views.ActionView{Page: pg, Heading: pg.L("no_user")}
	for _, u := range s.Users() {
		v.Actions = append(v.Actions, views.Action{Label: pg.L("use") + ": " + u.Nickname, URL: s.cfg.BasePath + "/phone/select",
			Kind: "secondary", Fields: []views.Field{{Name: "user", Value: u.ID}, {Name: "next", Value: next}}})
	}
	v.Links = []views.Link{{Label: pg.L("create"), URL: s.cfg.BasePath + "/phone"}}
	s.render(w, r, http.StatusOK, views.ActionPage(v))
}

// handleTicketPage is what opening an OA QR's url shows: who scans, and a button to scan.
func (s *Sandbox) handleTicketPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := s.phoneUser(r)
	if !ok {
		s.pickUser(w, r, s.cfg.BasePath+"/q/"+id)
		return
	}
	if r.Method == http.MethodPost {
		res, err := s.ScanTicket(r.Context(), p.id, id)
		if err != nil {
			s.flashRedirect(w, r, s.cfg.BasePath+"/phone?tab=scan", err.Error(), true)
			return
		}
		s.flashRedirect(w, r, s.cfg.BasePath+"/phone?tab=inbox", pushSummary(res.Push), res.Push.Outcome == "failed" || res.Push.Outcome == "service_error")
		return
	}
	pg := s.page(w, r, "ticket_title")
	s.mu.Lock()
	t, found := s.tickets.get(s.ticketIDs[id])
	live := found && t.liveAt(s.nowLocked())
	card := cardOf(p)
	s.mu.Unlock()
	switch {
	case !found:
		s.errorPage(w, r, 0, pg.L("not_found"))
	case !live:
		s.errorPage(w, r, 0, pg.L("expired"))
	default:
		s.render(w, r, http.StatusOK, views.ActionPage(views.ActionView{
			Page: pg, Heading: s.cfg.OA.Name, Text: pg.L("ticket_text"), Detail: t.scene(), User: &card,
			Actions: []views.Action{{Label: pg.L("scan_as"), URL: s.cfg.BasePath + "/q/" + id}},
			Links:   []views.Link{{Label: pg.L("users"), URL: s.cfg.BasePath + "/phone"}},
		}))
	}
}

// handleConfirmPage is the phone side of a website/WeCom QR login: opening marks it scanned,
// the buttons confirm or deny.
func (s *Sandbox) handleConfirmPage(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		uuid = r.PostForm.Get("uuid")
	}
	p, ok := s.phoneUser(r)
	if !ok {
		s.pickUser(w, r, s.cfg.BasePath+"/connect/confirm?uuid="+uuid)
		return
	}
	pg := s.page(w, r, "web_login")
	if r.Method == http.MethodPost {
		var err error
		if r.PostForm.Get("decision") == "allow" {
			_, err = s.ConfirmLogin(p.id, uuid)
		} else {
			_, err = s.DenyLogin(p.id, uuid)
		}
		if err != nil {
			s.errorPage(w, r, 0, err.Error())
			return
		}
		s.flashRedirect(w, r, s.cfg.BasePath+"/phone", pg.L("done"), false)
		return
	}
	if err := s.ScanLogin(p.id, uuid); err != nil {
		text := err.Error()
		if errors.Is(err, ErrExpired) {
			text = pg.L("st_expired")
		}
		s.errorPage(w, r, 0, text)
		return
	}
	s.mu.Lock()
	a, _ := s.attempts.get(uuid)
	card := cardOf(p)
	s.mu.Unlock()
	heading, name := pg.L("web_login"), s.cfg.Website.Name
	if a != nil && a.wecom {
		heading, name = pg.L("wecom_login"), s.cfg.WeCom.Name
	}
	fields := func(d string) []views.Field {
		return []views.Field{{Name: "uuid", Value: uuid}, {Name: "decision", Value: d}}
	}
	s.render(w, r, http.StatusOK, views.ActionPage(views.ActionView{
		Page: pg, Heading: heading, Text: fmt.Sprintf(pg.L("web_login_text"), name), User: &card,
		Actions: []views.Action{
			{Label: pg.L("confirm_login"), URL: s.cfg.BasePath + "/connect/confirm", Fields: fields("allow")},
			{Label: pg.L("cancel_login"), URL: s.cfg.BasePath + "/connect/confirm", Fields: fields("deny"), Kind: "secondary"},
		},
	}))
}

// handlePhoneMini produces Mini Program values for the chosen user and shows them.
func (s *Sandbox) handlePhoneMini(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, ok := s.phoneUser(r)
	if !ok {
		s.flashRedirect(w, r, s.cfg.BasePath+"/phone?tab=mini", "choose a user first", true)
		return
	}
	v := s.phoneView(w, r, "mini")
	var err error
	switch r.PostForm.Get("what") {
	case "code":
		var code string
		code, err = s.MiniLogin(p.id)
		v.Mini = []views.MiniResult{{Label: "code", Value: code}}
	case "phonecode":
		var code string
		code, err = s.MiniPhoneCode(p.id)
		v.Mini = []views.MiniResult{{Label: "code (getPhoneNumber)", Value: code}}
	case "userinfo", "phone":
		var d EncryptedData
		d, err = s.MiniEncryptedData(p.id, r.PostForm.Get("what"))
		v.Mini = []views.MiniResult{{Label: "encryptedData", Value: d.EncryptedData}, {Label: "iv", Value: d.IV}}
		if d.RawData != "" {
			v.Mini = append(v.Mini, views.MiniResult{Label: "rawData", Value: d.RawData}, views.MiniResult{Label: "signature", Value: d.Signature})
		}
		v.Mini = append(v.Mini, views.MiniResult{Label: "plaintext", Value: d.Plaintext})
	case "rotate":
		err = s.RotateSessionKey(p.id)
		v.Flash = "session_key rotated"
	default:
		err = errors.New("unknown Mini Program action")
	}
	if err != nil {
		v.Mini, v.Flash, v.FlashErr = nil, err.Error(), true
	}
	s.render(w, r, http.StatusOK, views.PhonePage(v))
}

// handleAvatar serves a generated avatar (an SVG square with the initial) for headimgurl.
func (s *Sandbox) handleAvatar(w http.ResponseWriter, r *http.Request) {
	u, ok := s.User(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	initial := views.UserCard{Nickname: u.Nickname}.Initial()
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132"><rect width="132" height="132" fill="%s"/><text x="66" y="84" font-size="56" text-anchor="middle" fill="#fff" font-family="sans-serif">%s</text></svg>`,
		u.AvatarColor, xmlEscape(initial))
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
