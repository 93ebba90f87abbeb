Attribute VB_Name = "ServiceBook"
' Ribbon callbacks of the 客服助手 tab (addin/customUI14.xml).
' Each button runs one Python entry point of servicebook/addin/buttons.py through xlwings
' RunPython (the xlwings module of this add-in, PROJECT_NAME "servicebook"). The Python side
' shows its own progress in the status bar and its own message box on errors.
Option Explicit

Private sbRibbon As IRibbonUI

Public Sub SB_OnLoad(ribbon As IRibbonUI)
    Set sbRibbon = ribbon
End Sub

' 一键处理
Public Sub SB_RunAll(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.run_all()"
End Sub

' 校验
Public Sub SB_Validate(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.validate()"
End Sub

' 编号
Public Sub SB_Number(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.number()"
End Sub

' 分配
Public Sub SB_Assign(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.assign()"
End Sub

' SLA 着色
Public Sub SB_Sla(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.sla()"
End Sub

' 客户历史
Public Sub SB_History(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.history()"
End Sub

' 关怀计划
Public Sub SB_Care(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.care()"
End Sub

' 查看号码
Public Sub SB_Reveal(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.reveal()"
End Sub

' 预览邮件
Public Sub SB_MailPreview(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.mail_preview()"
End Sub

' 发送邮件
Public Sub SB_MailSend(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.mail_send()"
End Sub

' 生成月报
Public Sub SB_Report(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.report()"
End Sub

' 设置
Public Sub SB_Settings(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.settings()"
End Sub

' 帮助
Public Sub SB_Help(control As IRibbonControl)
    RunPython "from servicebook.addin import buttons; buttons.help()"
End Sub
