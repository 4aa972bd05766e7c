import { registry } from "@web/core/registry";

// A client's contact reads the contract sent to them and accepts it with their name and signature.
registry.category("web_tour.tours").add("it_portal_contract_accept_tour", {
    steps: () => [
        {
            content: "The contract waits for the client's acceptance, with its document",
            trigger: ".o_it_portal_contract_page a.o_it_contract_document_link",
        },
        {
            content: "The contact's name is proposed",
            trigger: ".o_it_contract_acceptance .o_web_sign_name_and_signature input:value(Alice A)",
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
            content: "The contract is accepted",
            trigger: ".o_it_contract_accepted:contains(Alice A)",
        },
    ],
});
