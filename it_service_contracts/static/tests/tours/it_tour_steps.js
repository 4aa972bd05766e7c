// Steps that several tours of the addon walk: a client's contact accepting a document in the portal, reporting a
// problem there or approving paid work, a technician logging time on a request.

/** Accept the document of the page with the name proposed (``name``: the one expected, or any) and its signature. */
export function acceptDocumentSteps(name) {
    const proposed = name ? `:value(${name})` : ":not(:value(''))";
    return [
        {
            content: "The contact's name is proposed",
            trigger: `.o_it_contract_acceptance .o_web_sign_name_and_signature input${proposed}`,
        },
        {
            content: "The signature is drawn from the name",
            trigger: ".o_it_contract_acceptance canvas.o_web_sign_signature",
            run: "canvasNotEmpty",
        },
        {
            content: "Accept and sign",
            trigger: ".o_it_contract_acceptance .o_portal_sign_submit:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The document is accepted",
            trigger: `.o_it_contract_accepted${name ? `:contains(${name})` : ""}`,
        },
    ];
}

/** Report a problem from the portal's list of requests; ``priority``: the value chosen, or the form's default. */
export function reportRequestSteps(subject, description, priority) {
    return [
        {
            content: "Open the form to report a problem",
            trigger: "a.o_it_portal_new_request",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Subject",
            trigger: "input#it_name",
            run: `edit ${subject}`,
        },
        {
            content: "What happened",
            trigger: "textarea#it_description",
            run: `edit ${description}`,
        },
        ...(priority ? [{ content: "Priority", trigger: "select#it_priority", run: `select ${priority}` }] : []),
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
    ];
}

/** Log ``duration`` (as typed: "1" or "1:00") on the open request from its Timesheets tab, and save. */
export function logTimeSteps(what, duration) {
    return [
        {
            content: "Open the timesheets of the request",
            trigger: ".o_form_view a.nav-link[name=page_timesheets]",
            run: "click",
        },
        {
            content: "Add a line",
            trigger: "div[name=timesheet_ids] td.o_field_x2many_list_row_add a[role=button]",
            run: "click",
        },
        {
            content: "What was done",
            trigger: "div[name=timesheet_ids] .o_selected_row div[name=name] input",
            run: `edit ${what}`,
        },
        {
            content: "Time spent",
            trigger: "div[name=timesheet_ids] .o_selected_row div[name=unit_amount] input",
            run: `edit ${duration}`,
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
    ];
}

/** Approve the paid work the request's portal page asks for, with a comment. */
export function approvePaidWorkSteps(comment) {
    return [
        {
            content: "A comment for the firm",
            trigger: ".o_it_portal_approval input[name=comment]",
            run: `edit ${comment}`,
        },
        {
            content: "Approve",
            trigger: ".o_it_portal_approval button.o_it_approve",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The approval is recorded",
            trigger: ".o_it_portal_approval_done",
        },
    ];
}
