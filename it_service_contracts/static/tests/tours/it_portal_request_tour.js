import { registry } from "@web/core/registry";

// A client's contact reports a problem in the portal, then approves the paid work it needs.
registry.category("web_tour.tours").add("it_portal_request_tour", {
    steps: () => [
        {
            content: "Open the form to report a problem",
            trigger: "a.o_it_portal_new_request",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Subject",
            trigger: "input#it_name",
            run: "edit Tour: the plotter prints nothing",
        },
        {
            content: "What happened",
            trigger: "textarea#it_description",
            run: "edit The plotter in the drawing office prints blank pages since this morning.",
        },
        {
            content: "Urgent",
            trigger: "select#it_priority",
            run: "select 2",
        },
        {
            content: "Send the request",
            trigger: "button.o_it_portal_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The request is registered with its response deadline",
            trigger: ".o_it_portal_request_page .o_it_response_deadline",
        },
        {
            content: "This month's hours are used up: the client is asked to approve paid work",
            trigger: ".o_it_portal_approval:contains(Your approval is needed)",
        },
        {
            content: "A comment for the firm",
            trigger: ".o_it_portal_approval input[name=comment]",
            run: "edit Approved, please come today",
        },
        {
            content: "Approve",
            trigger: "button.o_it_approve",
            run: "click",
            expectUnloadPage: true,
        },
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
        {
            content: "Open the timesheets of the request",
            trigger: "a.nav-link:contains(Timesheets)",
            run: "click",
        },
        {
            content: "Add a line",
            trigger: "div[name=timesheet_ids] td.o_field_x2many_list_row_add a[role=button]",
            run: "click",
        },
        {
            content: "What was done",
            trigger: ".o_field_x2many div[name=name] input",
            run: "edit Replaced the plotter's print head",
        },
        {
            content: "One hour",
            trigger: "div[name=timesheet_ids] div[name=unit_amount] input",
            run: "edit 1",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});
