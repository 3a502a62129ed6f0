/**
 * The Deluge custom function admins paste into a Zoho Desk workflow rule (ZOHODESK_AUTH=hmac,
 * docs/providers/zohodesk.md): in code, so the guide publishes exactly what the tests check. It
 * reads the closed ticket (with its assignee) and its Resolution through Zoho Desk's API, builds one
 * event in the webhook's own shape, signs the exact text it sends with `zoho.encryption.hmacsha256`
 * (default output: base64) and posts it. Change it only together with provider.ts.
 */
export const ZOHODESK_DELUGE_FUNCTION = `// Workflow rule: Tickets, on Field Update of Status, criteria "Status is Closed".
// Custom function argument: ticketId = Ticket Id. Connection "wolkvox_desk" with Desk.tickets.READ.
secret = "PASTE ZOHODESK_WEBHOOK_TOKEN HERE";
endpoint = "https://YOUR-API/webhooks/tickets/zohodesk";
orgId = "YOUR ORG ID";
desk = "https://desk.zoho.com/api/v1/tickets/" + ticketId;
ticket = invokeurl
[
	url :desk + "?include=assignee"
	type :GET
	headers:{"orgId":orgId}
	connection:"wolkvox_desk"
];
resolution = invokeurl
[
	url :desk + "/resolution"
	type :GET
	headers:{"orgId":orgId}
	connection:"wolkvox_desk"
];
payload = Map();
payload.put("id",ticket.get("id"));
payload.put("ticketNumber",ticket.get("ticketNumber"));
payload.put("status",ticket.get("status"));
payload.put("closedTime",ticket.get("closedTime"));
payload.put("modifiedTime",ticket.get("modifiedTime"));
payload.put("priority",ticket.get("priority"));
payload.put("classification",ticket.get("classification"));
payload.put("assigneeId",ticket.get("assigneeId"));
payload.put("assignee",ticket.get("assignee"));
payload.put("cf",ticket.get("cf"));
payload.put("webUrl",ticket.get("webUrl"));
payload.put("resolution",resolution.get("content"));
event = Map();
event.put("eventType","Ticket_Update");
event.put("orgId",orgId);
event.put("payload",payload);
events = List();
events.add(event);
body = events.toString();
// Base64 HMAC-SHA256 of exactly the text sent as the body.
signature = zoho.encryption.hmacsha256(secret,body);
response = invokeurl
[
	url :endpoint
	type :POST
	parameters:body
	headers:{"Content-Type":"application/json","X-Wolkvox-Signature":signature}
];
info response;`;
