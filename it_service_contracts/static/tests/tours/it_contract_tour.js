import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("it_contract_tour", {
    steps: () => [
        {
            content: "Create a contract",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Choose the client",
            trigger: ".o_field_widget[name=partner_id] input",
            run: "edit Tour Client",
        },
        {
            trigger: ".ui-autocomplete .dropdown-item:contains(Tour Client Sp. z o.o.)",
            run: "click",
        },
        {
            content: "Hours bought",
            trigger: ".o_field_widget[name=hours_total] input",
            run: "edit 25",
        },
        {
            content: "Scope",
            trigger: ".o_field_widget[name=service_product_ids] input",
            run: "edit Tour Helpdesk",
        },
        {
            trigger: ".ui-autocomplete .dropdown-item:contains(Tour Helpdesk Service)",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "One way forward: send it or record the client's agreement, no separate Activate",
            trigger:
                ".o_form_saved .o_statusbar_buttons:has(button[name=action_it_send_document]):not(:has(button[name=action_activate]))",
        },
        {
            content: "The path: draft, sent, agreed, running",
            trigger: ".o_statusbar_status:contains(Sent):contains(Agreed):contains(Running) .o_arrow_button_current:contains(Draft)",
        },
        {
            content: "The client agreed: the contract starts today",
            trigger: ".o_form_saved button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The contract is running",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Running)",
        },
    ],
});
