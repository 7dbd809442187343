package sandbox

// T returns the text for key in lang ("en" or anything else for zh-CN). Unknown keys come back
// as themselves so a missing translation shows up on screen instead of an empty string.
func T(lang, key string) string {
	zh, en := text(key)
	if zh == "" {
		return key
	}
	if lang == "en" {
		return en
	}
	return zh
}

// text holds the two translations of every key; a switch keeps them out of mutable package state.
func text(key string) (zh, en string) {
	switch key {
	case "sandbox":
		return "微信沙箱", "WeChat sandbox"
	case "phone":
		return "模拟手机", "Simulated phone"
	case "badge":
		return "沙箱", "sandbox"
	case "tab_me":
		return "我", "Me"
	case "me":
		return "当前微信用户", "Current WeChat user"
	case "no_user":
		return "还没有选择微信用户。请先选择或创建一个。", "No WeChat user chosen yet. Pick or create one first."
	case "users":
		return "切换用户", "Switch user"
	case "use":
		return "使用", "Use"
	case "create":
		return "创建微信用户", "Create a WeChat user"
	case "nickname":
		return "昵称", "Nickname"
	case "colour":
		return "头像颜色", "Avatar colour"
	case "phone_no":
		return "手机号（可选）", "Phone number (optional)"
	case "wecom_id":
		return "企业微信账号 userid（可选）", "WeCom userid (optional)"
	case "snapshot":
		return "快照页用户（虚拟账号）", "Snapshot-page user (virtual account)"
	case "create_btn":
		return "创建并使用", "Create and use"
	case "oa":
		return "公众号", "Official Account"
	case "following":
		return "已关注", "Following"
	case "not_following":
		return "未关注", "Not following"
	case "follow":
		return "关注", "Follow"
	case "unfollow":
		return "取消关注", "Unfollow"
	case "scan":
		return "扫一扫", "Scan"
	case "live_qr":
		return "当前有效的二维码", "Live QR codes"
	case "no_qr":
		return "没有有效的二维码。在电脑上打开登录页后刷新。", "No live QR codes. Open a login page on the PC, then refresh."
	case "paste":
		return "粘贴二维码内容或链接", "Paste a QR code's content or a link"
	case "scan_btn":
		return "识别", "Scan it"
	case "inbox":
		return "收到的消息", "Messages received"
	case "no_msg":
		return "暂无消息", "No messages yet"
	case "sms":
		return "短信", "Text messages"
	case "no_sms":
		return "暂无短信", "No text messages"
	case "mini":
		return "小程序", "Mini Program"
	case "mini_code":
		return "wx.login 登录 code", "wx.login code"
	case "mini_data":
		return "加密用户信息", "Encrypted user data"
	case "mini_phone":
		return "手机号 code", "Phone-number code"
	case "mini_phone_data":
		return "加密手机号（旧接口）", "Encrypted phone number (legacy)"
	case "rotate":
		return "更换 session_key", "Rotate session_key"
	case "pushes":
		return "最近的事件推送", "Recent event pushes"
	case "no_push":
		return "还没有推送", "No pushes yet"
	case "refresh":
		return "刷新", "Refresh"
	case "ticket_title":
		return "公众号二维码", "Official Account QR code"
	case "ticket_text":
		return "扫描后将关注公众号（已关注则进入公众号）。", "Scanning follows the Official Account (or opens it if already followed)."
	case "scan_as":
		return "以当前用户扫码", "Scan as the current user"
	case "expired":
		return "二维码已过期", "This QR code has expired"
	case "not_found":
		return "二维码不存在或已失效", "This QR code does not exist or is no longer valid"
	case "web_login":
		return "网站登录确认", "Website sign-in"
	case "web_login_text":
		return "%s 申请使用你的微信账号登录。", "%s asks to sign you in with your WeChat account."
	case "wecom_login":
		return "企业微信登录确认", "WeCom sign-in"
	case "allow":
		return "允许", "Allow"
	case "deny":
		return "拒绝", "Deny"
	case "confirm_login":
		return "确认登录", "Sign in"
	case "cancel_login":
		return "取消登录", "Cancel"
	case "consent_title":
		return "授权申请", "Authorization request"
	case "consent_text":
		return "%s 申请获得你的昵称、头像。", "%s asks for your nickname and avatar."
	case "open_in_wechat":
		return "请在微信客户端打开链接", "Please open this link in WeChat"
	case "open_as":
		return "在模拟手机中以此用户打开", "Open in the simulated phone as this user"
	case "done":
		return "完成", "Done"
	case "back":
		return "返回模拟手机", "Back to the phone"
	case "qr_scan_hint":
		return "请使用微信扫描二维码登录", "Scan with WeChat to sign in"
	case "qr_wecom_hint":
		return "请使用企业微信扫描二维码登录", "Scan with WeCom to sign in"
	case "st_waiting":
		return "等待扫码", "Waiting for a scan"
	case "st_scanned":
		return "扫描成功，请在手机上确认登录", "Scanned. Confirm on the phone"
	case "st_confirmed":
		return "已确认，正在登录…", "Confirmed, signing in…"
	case "st_denied":
		return "你已取消此次登录", "You cancelled this sign-in"
	case "st_expired":
		return "二维码已失效，请刷新页面", "The QR code has expired; reload the page"
	case "error":
		return "出错了", "Something went wrong"
	case "sandbox_note":
		return "这是 Scanboard 的微信沙箱，不会连接真实的微信。", "This is Scanboard's WeChat sandbox; it never talks to the real WeChat."
	case "snapshot_note":
		return "快照页模式：以虚拟账号继续。", "Snapshot-page mode: continuing as a virtual account."
	}
	return "", ""
}
