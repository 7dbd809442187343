package auth

// Sign-in methods of the other channels (login log and Session rows).
const (
	MethodWebsiteQR   = "website_qr"  // Open Platform website QR, full page or inline
	MethodMiniProgram = "miniprogram" // the Mini Program's own login (its API key)
	MethodMPConfirm   = "mp_qr"       // a PC QR confirmed from the Mini Program
	MethodWeCom       = "wecom"       // WeCom web login
)

// Reason codes of the other channels.
const (
	ReasonCodeUsed          = "code_used"          // WeChat 40163: the code was exchanged before
	ReasonCodeInvalid       = "code_invalid"       // 40029/42003: unknown, other app's or expired code
	ReasonWeComNotMember    = "wecom_not_member"   // the WeCom user is not a member of our corp
	ReasonSessionKeyRotated = "session_key_stale"  // Mini Program data encrypted with a newer session key
	ReasonWatermark         = "watermark_mismatch" // Mini Program data stamped for another app
)
