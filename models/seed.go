package models

import (
	"context"
	"fmt"
	"strings"
)

// DemoCenterCode is the code of the demo center SeedDemo creates.
const DemoCenterCode = "DEMO"

// DemoSupervisorNo is the staff number of the demo center's supervisor.
const DemoSupervisorNo = "DEMO-S01"

// DemoWindowCodes lists the windows of the demo center, for tests and the demo web page. Treat it
// as read-only.
var DemoWindowCodes = []string{"W001", "W002", "W003", "W004", "W005"}

// demoWindowsCSV and demoStaffCSV are the demo data in import format, so the demo goes through the
// same validation and upsert as an administrator's files.
const demoWindowsCSV = WindowsCSVHeader + `
DEMO,示范政务服务中心,W001,不动产登记,自然资源局
DEMO,示范政务服务中心,W002,社保医保,人力资源和社会保障局
DEMO,示范政务服务中心,W003,户籍办理,公安局
DEMO,示范政务服务中心,W004,企业开办,市场监督管理局
DEMO,示范政务服务中心,W005,公积金,住房公积金管理中心
`

const demoStaffCSV = StaffCSVHeader + `
DEMO-001,张伟,W001,staff
DEMO-002,李娜,W001,staff
DEMO-003,王芳,W002,staff
DEMO-004,刘洋,W003,staff
DEMO-005,陈静,W003,staff
DEMO-006,杨磊,W004,staff
DEMO-007,赵敏,W005,staff
DEMO-008,黄丽,W005,staff
DEMO-L01,孙敏,W001,lead
` + DemoSupervisorNo + `,周强,W001,supervisor
`

// demoMattersCSV are the demo center's matters of the one-time notification guide.
const demoMattersCSV = MattersCSVHeader + `
M001,不动产登记（二手房转移登记）,W001,不动产权证书原件；买卖双方身份证原件；存量房买卖合同；完税凭证；婚姻状况证明,5,按件收取登记费80元,材料须为原件
M002,不动产抵押登记,W001,不动产权证书原件；借款合同及抵押合同；借款人身份证原件,3,,
M003,居民户口迁移,W003,居民户口簿；居民身份证；准予迁入证明,0,,本市范围内迁移即办
M004,个体工商户营业执照新办,W004,经营者身份证原件；经营场所使用证明；个体工商户登记申请书,1,,可网上办理
M005,住房公积金提取（购房）,W005,身份证原件；购房合同；购房发票；本人银行卡,3,,
`

// SeedDemo creates or refreshes the demo center DEMO "示范政务服务中心" with the windows of
// DemoWindowCodes, one or two staff on each, a supervisor of the center and a few matters of the one-time
// notification guide. It is idempotent.
// The demo codes are ordinary codes: do not seed a database that uses W001… for real windows.
func (s *Store) SeedDemo(ctx context.Context) error {
	res, err := s.Import(ctx, strings.NewReader(demoWindowsCSV), "demo windows", strings.NewReader(demoStaffCSV), "demo staff")
	if err != nil {
		return fmt.Errorf("store: seed demo: %w", err)
	}
	if _, err := s.ImportMatters(ctx, strings.NewReader(demoMattersCSV), "demo matters"); err != nil {
		return fmt.Errorf("store: seed demo: %w", err)
	}
	s.logger.InfoContext(ctx, "demo data seeded", "center", DemoCenterCode,
		"windows_created", res.WindowsCreated, "staff_created", res.StaffCreated)
	return nil
}
