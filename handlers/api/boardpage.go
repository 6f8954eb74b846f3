package api

import "html/template"

// boardPage is the board: one self-contained page, its style inline (the Content-Security-Policy
// allows nothing else) and no script: 大字模式 is a link that the server remembers in a cookie. It is laid out for a phone first (one column, nothing
// wider than the screen: tables wrap their cells, the chart scales to the column), widens to a
// column of 52rem on a desktop, and prints on A4 without the navigation.
var boardPage = template.Must(template.New("board").Parse(`<!doctype html>
<html lang="{{.Lang}}"{{if .Large}} class="large"{{end}}><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{.Title}} · {{.Scope}}</title>
<style>
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
html.large{font-size:150%}
html.large td.n,html.large th.n{width:auto;white-space:normal}
html.large main{padding:.5rem .3rem 1rem}
html.large section{padding:.6rem .5rem}
html.large th,html.large td{padding:.3rem .15rem}
body{margin:0;font:1rem/1.55 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#222;background:#f4f5f7;overflow-wrap:anywhere}
header{background:#b22222;color:#fff;padding:1rem 1rem .6rem}
header .in{max-width:51rem;margin:0 auto}
header h1{margin:0;font-size:1.3rem;line-height:1.3}
header .scope{margin:.2rem 0 .5rem;font-size:1rem;opacity:.95}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.35rem}
nav a{display:block;color:#fff;text-decoration:none;border:1px solid rgba(255,255,255,.6);border-radius:1rem;padding:.1rem .7rem;font-size:.9rem}
nav a[aria-current]{background:#fff;color:#b22222;font-weight:bold}
.tools{margin:0 0 .5rem}
.tools a{display:inline-block;color:#fff;border:2px solid #fff;border-radius:1rem;padding:.2rem .8rem;text-decoration:none;min-height:2.75rem;line-height:2}
.tools a[aria-pressed=true]{background:#fff;color:#b22222;font-weight:bold}
a:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
main{max-width:52rem;margin:0 auto;padding:.5rem .6rem 1rem}
section{background:#fff;border-radius:.6rem;padding:.8rem .9rem;margin:.7rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:1.15rem;margin:0 0 .5rem;color:#b22222}
h3{font-size:1rem;margin:.9rem 0 .3rem}
.kpis{display:flex;flex-wrap:wrap;gap:.5rem;margin:.2rem 0 .6rem}
.kpi{flex:1 1 6.5rem;background:#f7f8fa;border-radius:.5rem;padding:.45rem .6rem}
.kpi b{display:block;font-size:1.45rem;line-height:1.2}
.kpi span{font-size:.85rem;color:#555}
.verdict{font-weight:bold}.ok{color:#1d7a35}.bad{color:#b22222}
figure{margin:.3rem 0}
figure svg{display:block;width:100%;height:auto;max-width:36rem}
figcaption,.note{font-size:.85rem;color:#555}
table{width:100%;border-collapse:collapse;font-size:.92rem}
th,td{text-align:left;padding:.35rem .3rem;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#555;font-size:.85rem}
td.n,th.n{text-align:right;white-space:nowrap;width:4.5rem}
th.n:first-child,td.n:first-child{width:2.6rem}
td small{display:block;color:#666;font-size:.8rem}
tr.gap td{border-top:2px dashed #ccc}
details summary{cursor:pointer;font-size:.9rem;color:#1b5fa8;margin:.3rem 0}
.stars{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(min(14rem,100%),1fr));gap:.5rem}
.stars li{border:1px solid #f0c36d;background:#fffaf0;border-radius:.5rem;padding:.5rem .7rem}
.stars b{display:block;font-size:1.05rem}
.cols{display:grid;grid-template-columns:1fr;gap:0 1rem}
@media (min-width:40rem){.cols{grid-template-columns:1fr 1fr}}
ol.rank{margin:.2rem 0;padding-left:1.6rem}
ol.rank li{margin:.15rem 0}
article{border-top:1px solid #eee;padding:.6rem 0}
article:first-of-type{border-top:0}
.meta{color:#666;font-size:.85rem}
dl{margin:.3rem 0 0}dt{font-weight:600;margin-top:.3rem}dd{margin:0}
footer{max-width:52rem;margin:0 auto;padding:0 1rem 1.5rem;color:#666;font-size:.8rem}
@media print{
 @page{size:A4;margin:14mm}
 body{background:#fff;font-size:10.5pt}
 header{background:none;color:#000;padding:0 0 .4rem;border-bottom:2px solid #b22222}
 nav,details{display:none}
 main{max-width:none;padding:0}
 section{box-shadow:none;border:1px solid #ddd;break-inside:avoid;margin:.5rem 0}
 article{break-inside:avoid}
 h2{color:#000}
 figure svg{max-width:16cm}
}
</style></head>
<body>
<header><div class="in">
<h1>{{.Title}}</h1>
<p class="scope">{{.Scope}} · {{.Month}}</p>
<p class="tools"><a href="?lang={{.Lang}}&amp;large={{if .Large}}0{{else}}1{{end}}" role="button" aria-pressed="{{.Large}}">{{.W.Large}}</a></p>
<nav aria-label="{{.W.Nav}}"><ul>{{range .Centers}}<li><a href="{{.Href}}"{{if .Current}} aria-current="page"{{end}}>{{.Name}}</a></li>{{end}}</ul></nav>
</div></header>
<main>
<section id="satisfaction">
<h2>{{.W.MonthHeading}}</h2>
{{if .HasRatings}}<div class="kpis">
<div class="kpi"><b>{{.Rate}}</b><span>{{.W.Satisfaction}} · <span class="verdict {{if .Met}}ok{{else}}bad{{end}}">{{if .Met}}{{.W.Met}}{{else}}{{.W.Missed}}{{end}}</span></span></div>
<div class="kpi"><b>{{.Target}}</b><span>{{.W.TargetLine}}</span></div>
<div class="kpi"><b>{{.Count}}</b><span>{{.W.Ratings}}</span></div>
<div class="kpi"><b>{{.Good}}</b><span>{{.W.GoodRate}}</span></div>
</div>{{else}}<p>{{.W.NoRatings}}</p>{{end}}
<figure>{{.Chart}}<figcaption>{{.W.TrendCaption}}</figcaption></figure>
<details><summary>{{.W.TrendTable}}</summary><table>
<thead><tr><th>{{.W.Month}}</th><th class="n">{{.W.Ratings}}</th><th class="n">{{.W.Satisfaction}}</th></tr></thead>
<tbody>{{range .Months}}<tr><td>{{.Label}}</td><td class="n">{{.Count}}</td><td class="n {{if .Rate}}{{if .Met}}ok{{else}}bad{{end}}{{end}}">{{if .Rate}}{{.Rate}}{{else}}–{{end}}</td></tr>{{end}}</tbody>
</table></details>
</section>

<section id="ranking">
<h2>{{.W.Ranking}}</h2>
<p class="note">{{.W.RankingNote}}</p>
{{if .Ranked}}<table>
<thead><tr><th class="n">{{.W.Rank}}</th><th>{{.W.Window}}</th><th class="n">{{.W.Ratings}}</th><th class="n">{{.W.Satisfaction}}</th></tr></thead>
<tbody>{{range .Ranked}}<tr{{if .Gap}} class="gap"{{end}}><td class="n">{{.Rank}}</td><td>{{.Code}} {{.Name}}{{if .Where}}<small>{{.Where}}</small>{{end}}</td><td class="n">{{.Count}}</td><td class="n {{if .Met}}ok{{else}}bad{{end}}">{{.Rate}}</td></tr>{{end}}</tbody>
</table>{{if .RankedCut}}<p class="note">{{.W.MoreInCenters}}</p>{{end}}{{else}}<p>{{.W.NoneRanked}}</p>{{end}}
{{if .Few}}<h3>{{.W.TooFew}}</h3>
<table><thead><tr><th>{{.W.Window}}</th><th class="n">{{.W.Ratings}}</th><th class="n">{{.W.Satisfaction}}</th></tr></thead>
<tbody>{{range .Few}}<tr><td>{{.Code}} {{.Name}}{{if .Where}}<small>{{.Where}}</small>{{end}}</td><td class="n">{{.Count}}</td><td class="n">{{if .Rate}}{{.Rate}}{{else}}–{{end}}</td></tr>{{end}}</tbody></table>{{end}}
{{with .W.FewHidden}}<p class="note">{{.}} {{$.W.MoreInCenters}}</p>{{end}}
</section>

{{if .AllView}}{{if or .CenterRanked .CenterFew}}<section id="centers">
<h2>{{.W.CenterRanking}}</h2>
{{if .CenterRanked}}<table>
<thead><tr><th class="n">{{.W.Rank}}</th><th>{{.W.Center}}</th><th class="n">{{.W.Ratings}}</th><th class="n">{{.W.Satisfaction}}</th></tr></thead>
<tbody>{{range .CenterRanked}}<tr><td class="n">{{.Rank}}</td><td><a href="/board/{{.Code}}">{{.Name}}</a></td><td class="n">{{.Count}}</td><td class="n {{if .Met}}ok{{else}}bad{{end}}">{{.Rate}}</td></tr>{{end}}</tbody>
</table>{{end}}
{{if .CenterFew}}<h3>{{.W.TooFew}}</h3>
<table><thead><tr><th>{{.W.Center}}</th><th class="n">{{.W.Ratings}}</th><th class="n">{{.W.Satisfaction}}</th></tr></thead>
<tbody>{{range .CenterFew}}<tr><td><a href="/board/{{.Code}}">{{.Name}}</a></td><td class="n">{{.Count}}</td><td class="n">{{if .Rate}}{{.Rate}}{{else}}–{{end}}</td></tr>{{end}}</tbody></table>{{end}}
</section>{{end}}{{end}}

<section id="stars">
<h2>{{.StarsTitle}}</h2>
{{if .Stars}}<ul class="stars">{{range .Stars}}<li>{{if .Name}}<b>{{.Name}}</b>{{.Window}}{{else}}<b>{{.Window}}</b>{{end}}<small class="meta"> · {{.Center}}</small><br><span class="note">{{$.W.Satisfaction}} {{.Rate}} · {{$.W.Ratings}} {{.Count}}</span></li>{{end}}</ul>{{else}}<p>{{.W.NoStars}}</p>{{end}}
</section>

<section id="year">
<div class="cols">
<div><h2>{{.W.YearTop}}</h2>{{if .YearTop}}<ol class="rank">{{range .YearTop}}<li>{{.Code}} {{.Name}} <span class="note">{{.Rate}} · {{.Counted}}{{if .Where}} · {{.Where}}{{end}}</span></li>{{end}}</ol>{{else}}<p>{{.W.NoneRanked}}</p>{{end}}</div>
<div><h2>{{.W.YearBottom}}</h2>{{if .YearBottom}}<ol class="rank">{{range .YearBottom}}<li>{{.Code}} {{.Name}} <span class="note">{{.Rate}} · {{.Counted}}{{if .Where}} · {{.Where}}{{end}}</span></li>{{end}}</ol>{{else}}<p>{{.W.NoneRanked}}</p>{{end}}</div>
</div>
<p class="note">{{.W.YearNote}}</p>
</section>

<section id="handling">
<h2>{{.W.HandlingTitle}}</h2>
<div class="kpis">
<div class="kpi"><b>{{.Open}}</b><span>{{.W.Open}}</span></div>
<div class="kpi"><b class="{{if .Overdue}}bad{{else}}ok{{end}}">{{.Overdue}}</b><span>{{.W.Overdue}}</span></div>
<div class="kpi"><b>{{if .HasResolved}}{{.OnTime}}{{else}}–{{end}}</b><span>{{.W.OnTime}}{{if .HasResolved}} · {{.W.OnTimeOf}}{{end}}</span></div>
<div class="kpi"><b>{{if .HasRate}}{{.RerateRate}}{{else}}–{{end}}</b><span>{{.W.RerateRate}}{{if .HasRate}} · {{.W.RerateOf}}{{end}}</span></div>
</div>
</section>

<section id="inspections">
<h2>{{.W.InspectionsTitle}}</h2>
{{if .Inspections}}<table><thead><tr><th>{{.W.Window}}</th><th class="n">{{.W.Inspected}}</th><th class="n">{{.W.Findings}}</th></tr></thead>
<tbody>{{range .Inspections}}<tr><td>{{.Code}} {{.Name}}</td><td class="n">{{.Count}}</td><td class="n {{if .Failed}}bad{{else}}ok{{end}}">{{.Failed}}</td></tr>{{end}}</tbody></table>
{{else}}<p>{{.W.NoInspections}}</p>{{end}}
</section>

<section id="notices">
<h2>{{.W.Notices}}</h2>
{{range .Notices}}<article><div class="meta">{{.PublishedAt}} · {{.No}} · {{.Place}} · {{.Category}}</div>
<dl><dt>{{$.W.Plan}}</dt><dd>{{.Plan}}</dd><dt>{{$.W.Result}}</dt><dd>{{.Result}}</dd></dl></article>
{{else}}<p>{{.W.NoticesEmpty}}</p>{{end}}
</section>
</main>
<footer>{{.Updated}} · {{.W.Privacy}}</footer>
</body></html>
`))
