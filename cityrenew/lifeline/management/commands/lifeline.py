"""``cityrenew lifeline …`` — lifeline monitoring's command line; each sub-command is a module of
:mod:`cityrenew.lifeline.cli` (``alarms``, ``tick``, ``import``)."""

from cityrenew.core.subcommands import SubcommandCommand


class Command(SubcommandCommand):
    help = "城市生命线：报警列表（alarms）、定时检查（tick）、历史读数导入（import）、设备批量导入（import-devices）、统计（stats）等"
    package = "cityrenew.lifeline.cli"
