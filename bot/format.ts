/** Escape text for Telegram's HTML parse mode (only &, < and > are special there). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const ROLE_LABELS: Record<string, string> = {
  tenant_admin: 'desk admin',
  portfolio_manager: 'portfolio manager',
  analyst: 'analyst',
  api_user: 'API user',
};

export function roleLabel(role: string): string {
  return ROLE_LABELS[role] ?? role;
}
