import { registry } from "@web/core/registry";
import { approvePaidWorkSteps, logTimeSteps, reportRequestSteps } from "@it_service_contracts/../tests/tours/it_tour_steps";

// A client's contact reports a problem in the portal, then approves the paid work it needs.
registry.category("web_tour.tours").add("it_portal_request_tour", {
    steps: () => [
        ...reportRequestSteps(
            "Tour: the plotter prints nothing",
            "The plotter in the drawing office prints blank pages since this morning.",
            "2"
        ),
        {
            content: "This month's hours are used up: the client is asked to approve paid work",
            trigger: ".o_it_portal_approval:contains(Your approval is needed)",
        },
        ...approvePaidWorkSteps("Approved, please come today"),
        {
            content: "The approval is recorded",
            trigger: ".o_it_portal_approval_done:contains(Paid work approved)",
        },
    ],
});

// The technician opens the request and logs an hour on it from the task's Timesheets tab.
registry.category("web_tour.tours").add("it_technician_logs_time_tour", {
    steps: () => [
        {
            content: "The request shows that the client approved the paid work",
            trigger: ".o_form_view .alert-success:contains(approved)",
        },
        ...logTimeSteps("Replaced the plotter's print head", "1"),
    ],
});
