"""Check-up services (城市体检业务): runs and tasks, templates and uploads, problems, evaluation, exports.

Pages, the API, the CLI and the demo call these functions; they hold every rule once.
"""

from .permissions import (  # noqa: F401
    can_fill_task,
    can_manage_city,
    can_record_problems,
    can_review_task,
    fillable_indicators,
    fillable_tasks,
    visible_indicators,
    visible_tasks,
)
from .runs import (  # noqa: F401
    CheckupError,
    error_text,
    accept_task,
    completeness,
    create_run,
    department_organisation,
    expected_rows,
    return_task,
    set_task_deadline,
    set_value,
    submit_task,
)
from .templates import department_template, upload_department_values  # noqa: F401
from .problems import (  # noqa: F401
    completion_rate,
    problem_count,
    problems_to_project,
    problems_to_task,
    record_problem,
    set_problem_status,
    set_remediation_status,
)
from .evaluation import attach_engine_results, city_value, evaluate_run  # noqa: F401
from .exports import problem_list_rows, problem_list_workbook, remediation_list_rows, remediation_list_workbook  # noqa: F401
from .units import import_units_excel, import_units_geodata  # noqa: F401
