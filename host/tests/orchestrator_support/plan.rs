//! The nine-line plan shared by the batch tests and the `execute_plan` benchmark: one
//! approval, three schedules, two grants, a quota, an export opened and closed.

use cohesix::{ApprovalRequest, ExportRequest, LeaseRequest, Plan, ScheduleRequest};

/// The plan (nine control lines).
pub fn nine_line_plan() -> Plan<'static> {
    Plan::new()
        .approval(ApprovalRequest::approve("approve-1", "/queen/ctl"))
        .schedule(
            ScheduleRequest::new("s-1", "worker-gpu")
                .priority(1)
                .ticks(2)
                .budget_ms(50),
        )
        .schedule(
            ScheduleRequest::new("s-2", "worker-gpu")
                .priority(2)
                .ticks(2)
                .budget_ms(50),
        )
        .schedule(
            ScheduleRequest::new("s-3", "worker-gpu")
                .priority(3)
                .ticks(2)
                .budget_ms(50),
        )
        .lease(LeaseRequest::grant("l-1", "queen", "gpu0", 60))
        .lease(LeaseRequest::grant("l-2", "queen", "gpu1", 60))
        .lease(LeaseRequest::quota("queen", "gpu0", 4, 8))
        .export(ExportRequest::open("exp-1", 30))
        .export(ExportRequest::close("exp-1", "done"))
}
