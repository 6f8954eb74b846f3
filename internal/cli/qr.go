package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"windowbot/bot"
	"windowbot/bot/poster"
	"windowbot/bot/telegram"
	"windowbot/bot/wechat"
	"windowbot/flows/state"
	"windowbot/models"
)

// The adapters make the links of their channel's posters.
var (
	_ poster.DeepLinker = (*telegram.Adapter)(nil)
	_ poster.QRCoder    = (*wechat.Adapter)(nil)
)

// qrRequest is what `windowbot qr` was asked for: exactly one of window, all and staff, and out.
type qrRequest struct {
	window, staff string
	all           bool
	out           string
	channel       poster.Channel
	// lang is the language of the posters' words: the bot's.
	lang string
	size poster.Size
	// baseURL is where the web chat's links point: --base-url, else public_url.
	baseURL string
}

// cmdQR is `windowbot qr`: it writes the poster of a window, of every window, or a staff
// member's own, and lists each as code, file and link.
func cmdQR(ctx context.Context, a *app, args []string) error {
	q, err := a.qrFlags(args)
	if err != nil {
		return err
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	specs, err := qrSpecs(ctx, s, q)
	if err != nil {
		return err
	}
	if q.all {
		if err := os.MkdirAll(q.out, 0o755); err != nil {
			return err
		}
	}
	links, release, err := a.posterLinks(ctx, s, q.channel, q.baseURL)
	if err != nil {
		return err
	}
	defer release()
	r, err := a.posterRenderer()
	if err != nil {
		return err
	}
	for _, spec := range specs {
		path := q.out
		if q.all {
			path = filepath.Join(q.out, spec.Name+".png")
		}
		if err := a.writePoster(ctx, s, r, links, spec, q, path); err != nil {
			return err
		}
	}
	return nil
}

// posterRenderer loads the configured CJK font, or the first of the system's.
func (a *app) posterRenderer() (*poster.Renderer, error) {
	fontPath, err := poster.FindFont(a.cfg.QRFont)
	if err != nil {
		return nil, err
	}
	return poster.NewRenderer(fontPath)
}

// writePoster links spec, writes its print-ready PNG at path and lists it as code, file and
// link. A staff member's poster carries their imported photo.
func (a *app) writePoster(ctx context.Context, s *models.Store, r *poster.Renderer, links poster.Linker, spec poster.Spec, q qrRequest, path string) error {
	p, err := spec.Link(ctx, links)
	if err != nil {
		return err
	}
	pr := poster.Print{Poster: p, Lang: q.lang, Center: spec.Center, StaffNo: spec.Target.StaffNo,
		Hotline: a.cfg.Posters.HotlineOf(spec.CenterCode), ServiceLine: a.cfg.Posters.ServiceLine}
	if spec.PhotoHash != "" {
		pic, err := s.Picture(ctx, spec.PhotoHash)
		if err != nil {
			return err
		}
		if pr.Photo, err = poster.DecodePhoto(pic.Data); err != nil {
			return fmt.Errorf("qr: photo of %s: %w", spec.Name, err)
		}
	}
	if err := r.WritePrintFile(path, pr, q.size); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", spec.Name, path, p.URL)
	return nil
}

// qrFlags parses the flags of `windowbot qr`; without --channel, the posters open the chat app
// the deployment runs.
func (a *app) qrFlags(args []string) (qrRequest, error) {
	var q qrRequest
	var err error
	fs := flags("qr", a.stderr)
	fs.StringVar(&q.window, "window", "", "window code")
	fs.BoolVar(&q.all, "all", false, "every window")
	fs.StringVar(&q.staff, "staff", "", "staff number: the staff member's own poster, rating their window with them chosen")
	fs.StringVar(&q.out, "out", "", "PNG file (with --window or --staff) or directory (with --all)")
	channel := fs.String("channel", "", "what the code opens: telegram (default when a bot token is set), wechat (default when only WeChat is set) or web")
	size := fs.String("size", a.cfg.Posters.Size, "paper size at 300 dpi: a4 (2480x3508), a5 (1748x2480) or tent (an A6 table-stand insert, 1240x1748)")
	fs.StringVar(&q.baseURL, "base-url", "", "public URL of the web chat the codes open (default public_url)")
	allowLocal := fs.Bool("allow-localhost", false, "print web-chat posters that open a localhost address (for trying out, never for the hall)")
	if err := parse(fs, args); err != nil {
		return q, err
	}
	if q.size, err = poster.ParseSize(*size); err != nil {
		fmt.Fprintf(a.stderr, "qr: unknown --size %q (a4, a5 or tent)\n", *size)
		return q, errUsage
	}
	named := 0
	for _, set := range []bool{q.window != "", q.all, q.staff != ""} {
		if set {
			named++
		}
	}
	if named != 1 || q.out == "" {
		fmt.Fprintln(a.stderr, "qr: name one of --window CODE, --all or --staff NO, and --out")
		return q, errUsage
	}
	q.lang = a.cfg.Language
	q.channel = poster.Channel(*channel)
	if q.channel == "" {
		q.channel = poster.DefaultChannel(a.cfg.Telegram.Token != "", a.cfg.WeChat.AppID != "")
	}
	if !q.channel.Valid() {
		fmt.Fprintf(a.stderr, "qr: unknown --channel %q (telegram, wechat or web)\n", *channel)
		return q, errUsage
	}
	if q.baseURL == "" {
		q.baseURL = a.cfg.PublicURL
	}
	if q.channel == poster.Web && !*allowLocal && poster.LocalURL(q.baseURL) {
		return q, fmt.Errorf("qr: the posters would open %s, which no citizen's phone can reach: set public_url (WINDOWBOT_PUBLIC_URL) to the address the hall publishes, or pass --base-url URL (--allow-localhost prints them anyway, to try out)", cmp.Or(q.baseURL, "no address"))
	}
	return q, nil
}

// qrSpecs loads the records q names and returns their posters.
func qrSpecs(ctx context.Context, s *models.Store, q qrRequest) ([]poster.Spec, error) {
	switch {
	case q.staff != "":
		st, err := s.StaffByNo(ctx, q.staff)
		if errors.Is(err, models.ErrNotFound) {
			return nil, fmt.Errorf("qr: no staff member %q", q.staff)
		}
		if err != nil {
			return nil, err
		}
		if st.Window != nil {
			// With its center, for the poster's header and hotline.
			if w, err := s.WindowByCode(ctx, st.Window.Code); err == nil {
				st.Window = w
			}
		}
		spec, err := poster.ForStaff(q.lang, st)
		return []poster.Spec{spec}, err
	case q.all:
		return allWindowSpecs(ctx, s, q.lang)
	}
	w, err := s.WindowByCode(ctx, q.window)
	if errors.Is(err, models.ErrNotFound) {
		return nil, fmt.Errorf("qr: no window %q", q.window)
	}
	if err != nil {
		return nil, err
	}
	return []poster.Spec{poster.ForWindow(q.lang, w)}, nil
}

// allWindowSpecs returns the posters of every window, center by center, worded in lang.
func allWindowSpecs(ctx context.Context, s *models.Store, lang string) ([]poster.Spec, error) {
	centers, err := s.Centers(ctx)
	if err != nil {
		return nil, err
	}
	var specs []poster.Spec
	for _, c := range centers {
		ws, err := s.WindowsOfCenter(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			w.Center = &c
			specs = append(specs, poster.ForWindow(lang, &w))
		}
	}
	return specs, nil
}

// posterLinks returns what makes the posters' links on channel: the web chat at public_url, the
// Telegram bot's deep links, or the WeChat account's permanent QR codes, made through its API.
// release frees what it opened.
func (a *app) posterLinks(ctx context.Context, s *models.Store, channel poster.Channel, baseURL string) (l poster.Linker, release func(), err error) {
	switch channel {
	case poster.WeChat:
		wx, release, err := a.wechatAPI(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		return poster.WeChatLinks(wx), release, nil
	case poster.Telegram:
		if a.cfg.Telegram.Token == "" {
			return nil, nil, errors.New("qr: --channel telegram needs WINDOWBOT_TELEGRAM_TOKEN")
		}
		// Only the bot's username is needed: no update is ever handled.
		tg, err := a.telegram(bot.HandlerFunc(noUpdates), state.NewMemory(nil))
		if err != nil {
			return nil, nil, err
		}
		return poster.TelegramLinks(tg), func() {}, nil
	}
	return poster.WebLinks(baseURL), func() {}, nil
}
