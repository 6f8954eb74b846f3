package configs

import "time"

// Cases configures the rating invitations of finished service cases (一事一评).
type Cases struct {
	// Token authorises the hall's case system on POST /api/v1/cases and nothing else; the admin
	// token works there too. Empty: only the admin token registers cases.
	Token string `yaml:"token"`
	// ExpiryDays is how long an invitation stays valid.
	ExpiryDays int `yaml:"expiry_days"`
	// ReminderAfter is how long after registration an unrated invitation gets its one reminder,
	// where the citizen can be reached (the chat that opened it, or SMS with consent); 0 sends
	// none.
	ReminderAfter time.Duration `yaml:"reminder_after"`
}

// SMS configures text messages (bot/sms): the provider, the templates per notice kind and the
// provider's own settings. Empty Provider means SMS is off.
type SMS struct {
	Provider       string            `yaml:"provider"`
	Templates      map[string]string `yaml:"templates"`
	TemplateParams map[string]string `yaml:"template_params"`
	Tencent        SMSTencent        `yaml:"tencent"`
	Gateway        SMSGateway        `yaml:"gateway"`
	// Rate is how many text messages a second the replicas send together.
	Rate int `yaml:"rate"`
}

// SMSTencent is Tencent Cloud SMS.
type SMSTencent struct {
	SecretID  string        `yaml:"secret_id"`
	SecretKey string        `yaml:"secret_key"`
	SDKAppID  string        `yaml:"sdk_app_id"`
	SignName  string        `yaml:"sign_name"`
	Region    string        `yaml:"region"`
	Endpoint  string        `yaml:"endpoint"`
	Timeout   time.Duration `yaml:"timeout"`
}

// SMSGateway is the hall's own HTTP gateway (短信平台).
type SMSGateway struct {
	URL          string        `yaml:"url"`
	Method       string        `yaml:"method"`
	ContentType  string        `yaml:"content_type"`
	AuthHeader   string        `yaml:"auth_header"`
	AuthValue    string        `yaml:"auth_value"`
	Body         string        `yaml:"body"`
	SuccessField string        `yaml:"success_field"`
	SuccessValue string        `yaml:"success_value"`
	Timeout      time.Duration `yaml:"timeout"`
}

// Report configures the records sent to the provincial 好差评 platform (jobs/report). Empty URL
// means records are kept for `windowbot report export` only.
type Report struct {
	URL             string        `yaml:"url"`
	Auth            string        `yaml:"auth"`
	Token           string        `yaml:"token"`
	SignatureHeader string        `yaml:"signature_header"`
	Timeout         time.Duration `yaml:"timeout"`
	SuccessField    string        `yaml:"success_field"`
	SuccessValue    string        `yaml:"success_value"`
	Mapping         ReportMapping `yaml:"mapping"`
}

// ReportMapping is the province's codes (report.Mapping). A department is written
// "code|name|hall code" (name and hall code optional), keyed by center or window code.
type ReportMapping struct {
	AreaCode   string            `yaml:"area_code"`
	AreaName   string            `yaml:"area_name"`
	DataSource string            `yaml:"data_source"`
	IDPrefix   string            `yaml:"id_prefix"`
	TimeLayout string            `yaml:"time_layout"`
	Centers    map[string]string `yaml:"centers"`
	Windows    map[string]string `yaml:"windows"`
	Channels   map[string]string `yaml:"channels"`
	Levels     map[string]string `yaml:"levels"`
	Aspects    map[string]string `yaml:"aspects"`
	Results    map[string]string `yaml:"results"`
}

// caseEnvVars are the settings of cases, SMS and the provincial report, in the order of the
// example file.
func caseEnvVars() []EnvVar {
	return []EnvVar{
		{Name: "WINDOWBOT_CASES_TOKEN", Key: "cases.token", Secret: true, field: func(c *Config) any { return &c.Cases.Token }},
		{Name: "WINDOWBOT_CASES_EXPIRY_DAYS", Key: "cases.expiry_days", field: func(c *Config) any { return &c.Cases.ExpiryDays }},
		{Name: "WINDOWBOT_CASES_REMINDER_AFTER", Key: "cases.reminder_after", field: func(c *Config) any { return &c.Cases.ReminderAfter }},

		{Name: "WINDOWBOT_SMS_PROVIDER", Key: "sms.provider", field: func(c *Config) any { return &c.SMS.Provider }},
		{Name: "WINDOWBOT_SMS_TEMPLATES", Key: "sms.templates", field: func(c *Config) any { return &c.SMS.Templates }},
		{Name: "WINDOWBOT_SMS_TEMPLATE_PARAMS", Key: "sms.template_params", field: func(c *Config) any { return &c.SMS.TemplateParams }},
		{Name: "WINDOWBOT_SMS_RATE", Key: "sms.rate", field: func(c *Config) any { return &c.SMS.Rate }},
		{Name: "WINDOWBOT_SMS_TENCENT_SECRET_ID", Key: "sms.tencent.secret_id", field: func(c *Config) any { return &c.SMS.Tencent.SecretID }},
		{Name: "WINDOWBOT_SMS_TENCENT_SECRET_KEY", Key: "sms.tencent.secret_key", Secret: true, field: func(c *Config) any { return &c.SMS.Tencent.SecretKey }},
		{Name: "WINDOWBOT_SMS_TENCENT_SDK_APP_ID", Key: "sms.tencent.sdk_app_id", field: func(c *Config) any { return &c.SMS.Tencent.SDKAppID }},
		{Name: "WINDOWBOT_SMS_TENCENT_SIGN_NAME", Key: "sms.tencent.sign_name", field: func(c *Config) any { return &c.SMS.Tencent.SignName }},
		{Name: "WINDOWBOT_SMS_TENCENT_REGION", Key: "sms.tencent.region", field: func(c *Config) any { return &c.SMS.Tencent.Region }},
		{Name: "WINDOWBOT_SMS_TENCENT_ENDPOINT", Key: "sms.tencent.endpoint", field: func(c *Config) any { return &c.SMS.Tencent.Endpoint }},
		{Name: "WINDOWBOT_SMS_TENCENT_TIMEOUT", Key: "sms.tencent.timeout", field: func(c *Config) any { return &c.SMS.Tencent.Timeout }},
		{Name: "WINDOWBOT_SMS_GATEWAY_URL", Key: "sms.gateway.url", field: func(c *Config) any { return &c.SMS.Gateway.URL }},
		{Name: "WINDOWBOT_SMS_GATEWAY_METHOD", Key: "sms.gateway.method", field: func(c *Config) any { return &c.SMS.Gateway.Method }},
		{Name: "WINDOWBOT_SMS_GATEWAY_CONTENT_TYPE", Key: "sms.gateway.content_type", field: func(c *Config) any { return &c.SMS.Gateway.ContentType }},
		{Name: "WINDOWBOT_SMS_GATEWAY_AUTH_HEADER", Key: "sms.gateway.auth_header", field: func(c *Config) any { return &c.SMS.Gateway.AuthHeader }},
		{Name: "WINDOWBOT_SMS_GATEWAY_AUTH_VALUE", Key: "sms.gateway.auth_value", Secret: true, field: func(c *Config) any { return &c.SMS.Gateway.AuthValue }},
		{Name: "WINDOWBOT_SMS_GATEWAY_BODY", Key: "sms.gateway.body", field: func(c *Config) any { return &c.SMS.Gateway.Body }},
		{Name: "WINDOWBOT_SMS_GATEWAY_SUCCESS_FIELD", Key: "sms.gateway.success_field", field: func(c *Config) any { return &c.SMS.Gateway.SuccessField }},
		{Name: "WINDOWBOT_SMS_GATEWAY_SUCCESS_VALUE", Key: "sms.gateway.success_value", field: func(c *Config) any { return &c.SMS.Gateway.SuccessValue }},
		{Name: "WINDOWBOT_SMS_GATEWAY_TIMEOUT", Key: "sms.gateway.timeout", field: func(c *Config) any { return &c.SMS.Gateway.Timeout }},

		{Name: "WINDOWBOT_REPORT_URL", Key: "report.url", field: func(c *Config) any { return &c.Report.URL }},
		{Name: "WINDOWBOT_REPORT_AUTH", Key: "report.auth", field: func(c *Config) any { return &c.Report.Auth }},
		{Name: "WINDOWBOT_REPORT_TOKEN", Key: "report.token", Secret: true, field: func(c *Config) any { return &c.Report.Token }},
		{Name: "WINDOWBOT_REPORT_SIGNATURE_HEADER", Key: "report.signature_header", field: func(c *Config) any { return &c.Report.SignatureHeader }},
		{Name: "WINDOWBOT_REPORT_TIMEOUT", Key: "report.timeout", field: func(c *Config) any { return &c.Report.Timeout }},
		{Name: "WINDOWBOT_REPORT_SUCCESS_FIELD", Key: "report.success_field", field: func(c *Config) any { return &c.Report.SuccessField }},
		{Name: "WINDOWBOT_REPORT_SUCCESS_VALUE", Key: "report.success_value", field: func(c *Config) any { return &c.Report.SuccessValue }},
		{Name: "WINDOWBOT_REPORT_MAPPING_AREA_CODE", Key: "report.mapping.area_code", field: func(c *Config) any { return &c.Report.Mapping.AreaCode }},
		{Name: "WINDOWBOT_REPORT_MAPPING_AREA_NAME", Key: "report.mapping.area_name", field: func(c *Config) any { return &c.Report.Mapping.AreaName }},
		{Name: "WINDOWBOT_REPORT_MAPPING_DATA_SOURCE", Key: "report.mapping.data_source", field: func(c *Config) any { return &c.Report.Mapping.DataSource }},
		{Name: "WINDOWBOT_REPORT_MAPPING_ID_PREFIX", Key: "report.mapping.id_prefix", field: func(c *Config) any { return &c.Report.Mapping.IDPrefix }},
		{Name: "WINDOWBOT_REPORT_MAPPING_TIME_LAYOUT", Key: "report.mapping.time_layout", field: func(c *Config) any { return &c.Report.Mapping.TimeLayout }},
		{Name: "WINDOWBOT_REPORT_MAPPING_CENTERS", Key: "report.mapping.centers", field: func(c *Config) any { return &c.Report.Mapping.Centers }},
		{Name: "WINDOWBOT_REPORT_MAPPING_WINDOWS", Key: "report.mapping.windows", field: func(c *Config) any { return &c.Report.Mapping.Windows }},
		{Name: "WINDOWBOT_REPORT_MAPPING_CHANNELS", Key: "report.mapping.channels", field: func(c *Config) any { return &c.Report.Mapping.Channels }},
		{Name: "WINDOWBOT_REPORT_MAPPING_LEVELS", Key: "report.mapping.levels", field: func(c *Config) any { return &c.Report.Mapping.Levels }},
		{Name: "WINDOWBOT_REPORT_MAPPING_ASPECTS", Key: "report.mapping.aspects", field: func(c *Config) any { return &c.Report.Mapping.Aspects }},
		{Name: "WINDOWBOT_REPORT_MAPPING_RESULTS", Key: "report.mapping.results", field: func(c *Config) any { return &c.Report.Mapping.Results }},
	}
}
