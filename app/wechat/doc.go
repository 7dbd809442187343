// Package wechat is Scanboard's client for WeChat's HTTP APIs: website QR login
// (Open Platform), Official Account web OAuth, parameterized QR codes and event
// pushes, Mini Program login and WeCom web login.
//
// Every host's base URL is injectable (see Endpoints) so that the same client
// runs against the real hosts in production and against the in-process sandbox
// (app/wechatsandbox) everywhere else. WeChat answers most errors with HTTP 200
// and an errcode in the body; every call turns such answers into *Error, which
// keeps errcode and errmsg and works with errors.Is against the Code constants.
//
// The app access token is cached in a Cache shared by all nodes, refreshed by a
// single node at a time, so that nodes never invalidate each other's token.
package wechat
