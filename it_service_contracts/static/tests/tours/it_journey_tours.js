import { registry } from "@web/core/registry";
import {
    acceptDocumentSteps,
    approvePaidWorkSteps,
    logTimeSteps,
    reportRequestSteps,
} from "@it_service_contracts/../tests/tours/it_tour_steps";

// A new client's journey, one tour per user (tests/test_journey.py chains them). The steps find their way by
// the screens' structure, not by their words, so that the same tours walk the journey in every language.

const current = (state) => `.o_statusbar_status .o_arrow_button_current[data-value=${state}]`;

// The IT manager completes the client's audit, makes the recommended contract, puts the firm's service in its
// scope, asks for the client's approval before paid work, and sends it.
registry.category("web_tour.tours").add("it_journey_manager_tour", {
    steps: () => [
        {
            content: "Complete the audit",
            trigger: ".o_form_view button[name=action_done]",
            run: "click",
        },
        {
            content: "The audit is done",
            trigger: current("done"),
        },
        {
            content: "Make the recommended contract",
            trigger: ".o_form_view button[name=action_create_contract]",
            run: "click",
        },
        {
            content: "A draft contract of the recommended form",
            trigger: `.o_form_view:has(${current("draft")}) .o_field_widget[name=contract_type]`,
        },
        {
            content: "The firm's server administration is in the scope",
            trigger: ".o_field_widget[name=service_product_ids] input",
            run: "edit Server administration",
        },
        {
            trigger: ".ui-autocomplete .dropdown-item:contains(Server administration)",
            run: "click",
        },
        {
            content: "The response times agreed",
            trigger: ".o_form_view a.nav-link[name=sla]",
            run: "click",
        },
        {
            content: "A response time for requests of low priority",
            trigger: "div[name=sla_line_ids] td.o_field_x2many_list_row_add a[role=button]",
            run: "click",
        },
        {
            content: "Four working hours to answer",
            trigger: "div[name=sla_line_ids] .o_selected_row div[name=response_hours] input",
            run: "edit 4:00",
        },
        {
            content: "Two working days to resolve",
            trigger: "div[name=sla_line_ids] .o_selected_row div[name=resolution_hours] input",
            run: "edit 16:00",
        },
        {
            content: "Back to the scope",
            trigger: ".o_form_view a.nav-link[name=scope]",
            run: "click",
        },
        {
            content: "Paid work waits for the client's approval",
            trigger: ".o_field_widget[name=approval_required] input",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Send it to the client",
            trigger: ".o_form_saved button[name=action_it_send_document]",
            run: "click",
        },
        {
            content: "The mail with the contract",
            trigger: ".modal:has(.o_mail_composer_form) button.o_mail_send:enabled",
            run: "click",
        },
        {
            content: "The contract is sent",
            trigger: `body:not(:has(.modal)) ${current("sent")}`,
        },
    ],
});

// The client's contact reads the contract's terms in the portal and accepts it with a signature.
registry.category("web_tour.tours").add("it_journey_client_accept_tour", {
    steps: () => [
        {
            content: "The fee is on the page, not only in the document",
            trigger: ".o_it_portal_contract_page .o_it_portal_price",
        },
        ...acceptDocumentSteps(),
    ],
});

// The client accepted: the manager starts the contract, the one step its form offers now.
registry.category("web_tour.tours").add("it_journey_manager_confirm_tour", {
    steps: () => [
        {
            content: "Start the accepted contract",
            trigger: `.o_form_view:has(${current("accepted")}) .o_statusbar_buttons:not(:has(button[name=action_it_send_document])) button[name=action_confirm]`,
            run: "click",
        },
        {
            content: "The contract runs",
            trigger: current("active"),
        },
    ],
});

// The client's contact reports a problem in the portal.
registry.category("web_tour.tours").add("it_journey_client_request_tour", {
    steps: () => [
        ...reportRequestSteps(
            "Journey: the server does not start",
            "The file server stopped at night and does not start again."
        ),
    ],
});

// The technician logs an hour on the request from the task's Timesheets tab.
registry.category("web_tour.tours").add("it_journey_technician_tour", {
    steps: () => [
        ...logTimeSteps("Replaced the failed disk and rebuilt the array", "1:00"),
    ],
});

// The client's contact approves the paid work the request now needs.
registry.category("web_tour.tours").add("it_journey_client_approve_tour", {
    steps: () => [
        ...approvePaidWorkSteps("OK"),
    ],
});

// The accountant invoices what is due from the list of services to invoice and posts the invoice.
registry.category("web_tour.tours").add("it_journey_accountant_tour", {
    steps: () => [
        {
            content: "Select what is due",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Invoice it now",
            trigger: ".o_control_panel button[name=action_invoice_now]",
            run: "click",
        },
        {
            content: "Open the invoice made",
            trigger: ".o_list_view:has(th[data-name=invoice_date_due]) .o_data_row .o_data_cell",
            run: "click",
        },
        {
            content: "Post it",
            trigger: `.o_form_view:has(${current("draft")}) button[name=action_post]`,
            run: "click",
        },
        {
            content: "The invoice is posted",
            trigger: current("posted"),
        },
    ],
});
