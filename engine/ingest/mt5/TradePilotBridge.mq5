//+------------------------------------------------------------------+
//|                                             TradePilotBridge.mq5 |
//|  Streams ticks to the TradePilot engine over TCP and executes    |
//|  the engine's orders. Protocol: newline-delimited JSON, one      |
//|  object per line (DESIGN.md, "MT5 bridge protocol").             |
//+------------------------------------------------------------------+
#property copyright   "TradePilot"
#property version     "1.00"
#property description "TradePilot bridge: ticks to the engine over TCP (one JSON object per line), orders back."
#property description "Add EngineHost under Tools > Options > Expert Advisors > 'Allow WebRequest for listed URL'."

#include <Trade\Trade.mqh>

//--- inputs
input string EngineHost       = "127.0.0.1"; // Engine host (must be in the allowed URL list)
input int    EnginePort       = 5555;        // Engine port (MT5_BRIDGE_PORT)
input string BridgeToken      = "";          // Bridge token, sent in the hello frame
input string Symbols          = "";          // Symbols, comma-separated (empty: this chart's symbol)
input int    HeartbeatSeconds = 10;          // Heartbeat interval, seconds
input int    RingBufferSize   = 10000;       // Frames kept while disconnected (oldest dropped beyond)
input int    TimerMilliseconds = 100;        // Timer period: symbol polling, commands, reconnects
input long   MagicNumber      = 5555001;     // Magic number of the orders this EA places
input int    SlippagePoints   = 10;          // Maximum price deviation for market orders, points
input bool   AutoUtcOffset    = true;        // Work out the broker's UTC offset from TimeTradeServer() - TimeGMT()
input int    UtcOffsetMinutes = 0;           // Broker server time minus UTC, minutes (when AutoUtcOffset is false)

//--- constants
#define PROTOCOL_VERSION    1
#define BACKOFF_MIN_MS      1000
#define BACKOFF_MAX_MS      60000
#define STABLE_AFTER_MS     30000   // a connection that lived this long resets the backoff
#define CONNECT_TIMEOUT_MS  3000
#define SEND_TIMEOUT_MS     3000
#define MAX_FLUSH_PER_PASS  2000    // buffered frames sent per timer pass, so the terminal stays responsive
#define MAX_COMMAND_BYTES   65536

//--- state
CTrade   g_trade;
int      g_socket          = INVALID_HANDLE;
bool     g_connected       = false;
ulong    g_connectedAt     = 0;     // GetTickCount64() at connect
ulong    g_nextConnectAt   = 0;
uint     g_backoffMs       = BACKOFF_MIN_MS;
ulong    g_lastHeartbeatAt = 0;

string   g_symbols[];
int      g_digits[];
long     g_lastTimeMsc[];
double   g_lastBid[];
double   g_lastAsk[];
double   g_lastLast[];

string   g_ring[];                  // frames waiting for a connection, oldest at g_ringHead
int      g_ringHead    = 0;
int      g_ringCount   = 0;
long     g_ringDropped = 0;

uchar    g_rx[];                    // bytes of the engine command being received
int      g_rxLen        = 0;
bool     g_rxDiscarding = false;

ulong    g_pendingOrders[];         // pending (limit/stop) orders awaiting a fill ...
string   g_pendingIds[];            // ... and their client order ids

//+------------------------------------------------------------------+
//| Expert lifecycle                                                 |
//+------------------------------------------------------------------+
int OnInit()
  {
   if(EnginePort <= 0 || EnginePort > 65535)
     {
      PrintFormat("TradePilotBridge: EnginePort %d is not a TCP port", EnginePort);
      return(INIT_PARAMETERS_INCORRECT);
     }
   if(StringLen(BridgeToken) == 0)
      Print("TradePilotBridge: BridgeToken is empty; the engine will refuse the connection");
   if(!LoadSymbols())
      return(INIT_PARAMETERS_INCORRECT);

   ArrayResize(g_ring, RingBufferSize > 0 ? RingBufferSize : 1);
   g_ringHead = 0;
   g_ringCount = 0;
   ArrayResize(g_pendingOrders, 0);
   ArrayResize(g_pendingIds, 0);

   g_trade.SetExpertMagicNumber((ulong)MagicNumber);
   g_trade.SetDeviationInPoints((ulong)SlippagePoints);

   if(!EventSetMillisecondTimer(TimerMilliseconds >= 10 ? TimerMilliseconds : 10))
     {
      PrintFormat("TradePilotBridge: cannot start the timer (error %d)", GetLastError());
      return(INIT_FAILED);
     }
   g_nextConnectAt = 0;
   TryConnect();
   return(INIT_SUCCEEDED);
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   if(g_socket != INVALID_HANDLE)
      SocketClose(g_socket);
   g_socket = INVALID_HANDLE;
   g_connected = false;
   if(g_ringCount > 0)
      PrintFormat("TradePilotBridge: %d buffered frames discarded at shutdown (reason %d)", g_ringCount, reason);
  }

//--- the chart's symbol: react at once
void OnTick()
  {
   for(int i = 0; i < ArraySize(g_symbols); i++)
      if(g_symbols[i] == _Symbol)
         CheckSymbol(i);
  }

void OnTimer()
  {
   if(!g_connected)
      TryConnect();
   if(g_connected && !SocketIsConnected(g_socket))
      Disconnect("connection lost");
   if(g_connected)
     {
      FlushRing();
      ReadCommands();
     }
//--- other symbols have no OnTick here: poll them. The chart's symbol is polled too, because
//--- the terminal skips OnTick while the previous one is still queued; duplicates are filtered.
   for(int i = 0; i < ArraySize(g_symbols); i++)
      CheckSymbol(i);

   ulong now = GetTickCount64();
   if(g_connected && g_ringCount == 0 && HeartbeatSeconds > 0 && now - g_lastHeartbeatAt >= (ulong)HeartbeatSeconds * 1000)
     {
      g_lastHeartbeatAt = now;
      // Server time, like the ticks' time_msc, so the engine can also watch the broker's clock.
      string frame = "{\"type\":\"heartbeat\",\"time_msc\":" + IntegerToString((long)TimeTradeServer() * 1000) + "}";
      if(!SendLine(frame))
         Disconnect("heartbeat send failed");
     }
   if(g_connected && g_backoffMs != BACKOFF_MIN_MS && now - g_connectedAt >= STABLE_AFTER_MS)
      g_backoffMs = BACKOFF_MIN_MS;
  }

//+------------------------------------------------------------------+
//| Symbols and ticks                                                |
//+------------------------------------------------------------------+
bool LoadSymbols()
  {
   string list = Symbols;
   StringTrimLeft(list);
   StringTrimRight(list);
   if(list == "")
      list = _Symbol;
   string parts[];
   int n = StringSplit(list, StringGetCharacter(",", 0), parts);
   ArrayResize(g_symbols, 0);
   for(int i = 0; i < n; i++)
     {
      string name = parts[i];
      StringTrimLeft(name);
      StringTrimRight(name);
      if(name == "")
         continue;
      // SymbolInfoTick needs the symbol in Market Watch.
      if(!SymbolSelect(name, true))
        {
         PrintFormat("TradePilotBridge: unknown symbol '%s' (error %d)", name, GetLastError());
         return(false);
        }
      int k = ArraySize(g_symbols);
      ArrayResize(g_symbols, k + 1);
      g_symbols[k] = name;
     }
   int count = ArraySize(g_symbols);
   if(count == 0)
     {
      Print("TradePilotBridge: no symbols to stream");
      return(false);
     }
   ArrayResize(g_digits, count);
   ArrayResize(g_lastTimeMsc, count);
   ArrayResize(g_lastBid, count);
   ArrayResize(g_lastAsk, count);
   ArrayResize(g_lastLast, count);
   for(int i = 0; i < count; i++)
     {
      g_digits[i] = (int)SymbolInfoInteger(g_symbols[i], SYMBOL_DIGITS);
      g_lastTimeMsc[i] = 0;
      g_lastBid[i] = 0.0;
      g_lastAsk[i] = 0.0;
      g_lastLast[i] = 0.0;
     }
   return(true);
  }

//--- sends the symbol's current tick when it differs from the last one sent
void CheckSymbol(const int i)
  {
   MqlTick tick;
   if(!SymbolInfoTick(g_symbols[i], tick))
      return;
   if(tick.time_msc == g_lastTimeMsc[i] && tick.bid == g_lastBid[i] && tick.ask == g_lastAsk[i] && tick.last == g_lastLast[i])
      return;
   g_lastTimeMsc[i] = tick.time_msc;
   g_lastBid[i] = tick.bid;
   g_lastAsk[i] = tick.ask;
   g_lastLast[i] = tick.last;
   SendOrBuffer(TickJson(g_symbols[i], g_digits[i], tick));
  }

//--- prices with the symbol's digits, so no float noise reaches the engine
string TickJson(const string symbol, const int digits, const MqlTick &tick)
  {
   return("{\"type\":\"tick\",\"symbol\":\"" + JsonEscape(symbol) + "\"" +
          ",\"time_msc\":" + IntegerToString(tick.time_msc) +
          ",\"bid\":" + DoubleToString(tick.bid, digits) +
          ",\"ask\":" + DoubleToString(tick.ask, digits) +
          ",\"last\":" + DoubleToString(tick.last, digits) +
          ",\"volume\":" + IntegerToString((long)tick.volume) +
          ",\"volume_real\":" + DoubleToString(tick.volume_real, 8) +
          ",\"flags\":" + IntegerToString((long)tick.flags) + "}");
  }

//+------------------------------------------------------------------+
//| Connection                                                       |
//+------------------------------------------------------------------+
void TryConnect()
  {
   if(GetTickCount64() < g_nextConnectAt)
      return;
   ResetLastError();
   g_socket = SocketCreate();
   if(g_socket == INVALID_HANDLE)
     {
      ScheduleReconnect("SocketCreate failed", GetLastError());
      return;
     }
   if(!SocketConnect(g_socket, EngineHost, (uint)EnginePort, CONNECT_TIMEOUT_MS))
     {
      int error = GetLastError();
      SocketClose(g_socket);
      g_socket = INVALID_HANDLE;
      if(error == 4014)
         Print("TradePilotBridge: connecting is not allowed: add ", EngineHost,
               " under Tools > Options > Expert Advisors > 'Allow WebRequest for listed URL'");
      ScheduleReconnect("cannot connect to " + EngineHost + ":" + IntegerToString(EnginePort), error);
      return;
     }
   SocketTimeouts(g_socket, SEND_TIMEOUT_MS, 0);
   g_connected = true;
   g_connectedAt = GetTickCount64();
   g_lastHeartbeatAt = g_connectedAt;
   g_rxLen = 0;
   g_rxDiscarding = false;

   string hello = "{\"type\":\"hello\",\"version\":" + IntegerToString(PROTOCOL_VERSION) +
                  ",\"account\":\"" + IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)) + "\"" +
                  ",\"server\":\"" + JsonEscape(AccountInfoString(ACCOUNT_SERVER)) + "\"" +
                  ",\"token\":\"" + JsonEscape(BridgeToken) + "\"" +
                  ",\"tz_offset_minutes\":" + IntegerToString(BrokerUtcOffsetMinutes()) + "}";
   if(!SendLine(hello))
     {
      Disconnect("hello send failed");
      return;
     }
   PrintFormat("TradePilotBridge: connected to %s:%d, %d buffered frames to send", EngineHost, EnginePort, g_ringCount);
   FlushRing();
  }

//+------------------------------------------------------------------+
//| Broker server time minus UTC, in minutes. time_msc and the bar   |
//| times are server time; the engine subtracts this to store UTC.   |
//| Computed at every connect, so a DST change is picked up on the   |
//| next reconnect; rounded to 15 minutes (offsets are whole quarter |
//| hours) to absorb the estimate's jitter.                          |
//+------------------------------------------------------------------+
int BrokerUtcOffsetMinutes()
  {
   if(!AutoUtcOffset)
      return UtcOffsetMinutes;
   long seconds = (long)(TimeTradeServer() - TimeGMT());
   return (int)(MathRound((double)seconds / 900.0) * 15);
  }

void ScheduleReconnect(const string why, const int error)
  {
   // A little jitter so many terminals restarted together do not reconnect in lockstep.
   uint wait = g_backoffMs + (uint)(MathRand() % 250);
   PrintFormat("TradePilotBridge: %s (error %d); retrying in %u ms", why, error, wait);
   g_nextConnectAt = GetTickCount64() + wait;
   g_backoffMs = (g_backoffMs >= (uint)BACKOFF_MAX_MS / 2) ? (uint)BACKOFF_MAX_MS : g_backoffMs * 2;
  }

void Disconnect(const string why)
  {
   int error = GetLastError();
   if(g_socket != INVALID_HANDLE)
      SocketClose(g_socket);
   g_socket = INVALID_HANDLE;
   g_connected = false;
   g_rxLen = 0;
   g_rxDiscarding = false;
   ScheduleReconnect(why, error);
  }

//--- one frame, UTF-8, '\n'-terminated, without the NUL StringToCharArray appends
bool SendLine(const string line)
  {
   if(!g_connected)
      return(false);
   uchar bytes[];
   int n = StringToCharArray(line + "\n", bytes, 0, WHOLE_ARRAY, CP_UTF8);
   int length = n - 1; // the copied terminating 0 is not part of the frame
   int offset = 0;
   while(offset < length)
     {
      // SocketSend has no offset parameter: after a partial send, copy what is left.
      uchar rest[];
      int size = length - offset;
      ArrayCopy(rest, bytes, 0, offset, size);
      int sent = SocketSend(g_socket, rest, (uint)size);
      if(sent <= 0)
         return(false);
      offset += sent;
     }
   return(true);
  }

//--- keeps the order: nothing is sent directly while older frames wait in the ring
void SendOrBuffer(const string line)
  {
   if(g_connected && g_ringCount == 0)
     {
      if(SendLine(line))
         return;
      Disconnect("send failed");
     }
   RingPush(line);
  }

void RingPush(const string line)
  {
   int capacity = ArraySize(g_ring);
   if(g_ringCount == capacity)
     {
      if(g_ringDropped == 0)
         PrintFormat("TradePilotBridge: ring buffer full (%d frames); dropping the oldest", capacity);
      g_ringHead = (g_ringHead + 1) % capacity;
      g_ringCount--;
      g_ringDropped++;
     }
   g_ring[(g_ringHead + g_ringCount) % capacity] = line;
   g_ringCount++;
  }

void FlushRing()
  {
   int capacity = ArraySize(g_ring);
   int budget = MAX_FLUSH_PER_PASS;
   while(g_connected && g_ringCount > 0 && budget > 0)
     {
      if(!SendLine(g_ring[g_ringHead]))
        {
         Disconnect("send failed while flushing the buffer");
         return;
        }
      g_ring[g_ringHead] = "";
      g_ringHead = (g_ringHead + 1) % capacity;
      g_ringCount--;
      budget--;
     }
   if(g_ringCount == 0 && g_ringDropped > 0)
     {
      PrintFormat("TradePilotBridge: %I64d frames were dropped while disconnected", g_ringDropped);
      g_ringDropped = 0;
     }
  }

//+------------------------------------------------------------------+
//| Engine commands                                                  |
//+------------------------------------------------------------------+
void ReadCommands()
  {
   uint available = SocketIsReadable(g_socket);
   while(g_connected && available > 0)
     {
      uchar chunk[];
      int n = SocketRead(g_socket, chunk, available, 100);
      if(n <= 0)
        {
         Disconnect("read failed");
         return;
        }
      for(int i = 0; i < n; i++)
        {
         uchar b = chunk[i];
         if(b == 10 || b == 0)
           {
            if(!g_rxDiscarding && g_rxLen > 0)
               HandleCommand(CharArrayToString(g_rx, 0, g_rxLen, CP_UTF8));
            g_rxLen = 0;
            g_rxDiscarding = false;
            continue;
           }
         if(g_rxDiscarding)
            continue;
         if(g_rxLen >= MAX_COMMAND_BYTES)
           {
            Print("TradePilotBridge: engine command longer than ", MAX_COMMAND_BYTES, " bytes dropped");
            g_rxDiscarding = true;
            g_rxLen = 0;
            continue;
           }
         if(g_rxLen >= ArraySize(g_rx))
            ArrayResize(g_rx, g_rxLen + 1024);
         g_rx[g_rxLen] = b;
         g_rxLen++;
        }
      if(!g_connected)
         return;
      available = SocketIsReadable(g_socket);
     }
  }

void HandleCommand(string line)
  {
   StringReplace(line, "\r", "");
   StringTrimLeft(line);
   StringTrimRight(line);
   if(line == "")
      return;
   string type = JsonString(line, "type");
   string id = JsonString(line, "client_order_id");
   if(type != "order" && type != "close")
     {
      PrintFormat("TradePilotBridge: ignored engine message of type '%s'", type);
      return;
     }
   if(id == "")
     {
      Print("TradePilotBridge: engine command without client_order_id ignored");
      return;
     }
   if(type == "order")
      ExecuteOrder(line, id);
   else
      ExecuteClose(line, id);
  }

void ExecuteOrder(const string json, const string id)
  {
   string symbol = JsonString(json, "symbol");
   string side = JsonString(json, "side");
   string orderType = JsonString(json, "order_type");
   if(orderType == "")
      orderType = "market";
   double volume = JsonDouble(json, "volume", 0.0);
   double price = JsonDouble(json, "price", 0.0);
   double sl = JsonDouble(json, "sl", 0.0);
   double tp = JsonDouble(json, "tp", 0.0);

   if(symbol == "" || !SymbolSelect(symbol, true))
     {
      SendExecution(id, 0, "rejected", 0.0, 0.0, "unknown symbol '" + symbol + "'", symbol);
      return;
     }
   if(side != "buy" && side != "sell")
     {
      SendExecution(id, 0, "rejected", 0.0, 0.0, "side must be buy or sell", symbol);
      return;
     }
   string volumeProblem = CheckVolume(symbol, volume);
   if(volumeProblem != "")
     {
      SendExecution(id, 0, "rejected", 0.0, 0.0, volumeProblem, symbol);
      return;
     }
   int digits = (int)SymbolInfoInteger(symbol, SYMBOL_DIGITS);
   price = NormalizeDouble(price, digits);
   sl = NormalizeDouble(sl, digits);
   tp = NormalizeDouble(tp, digits);
   volume = NormalizeVolume(symbol, volume);
   g_trade.SetTypeFilling(FillingFor(symbol));

   bool buy = (side == "buy");
   bool pending = false;
   ResetLastError();
   if(orderType == "market")
     {
      // The client order id travels in the order comment (31 characters at most).
      if(buy)
         g_trade.Buy(volume, symbol, 0.0, sl, tp, id);
      else
         g_trade.Sell(volume, symbol, 0.0, sl, tp, id);
     }
   else if(orderType == "limit" || orderType == "stop")
     {
      if(price <= 0.0)
        {
         SendExecution(id, 0, "rejected", 0.0, 0.0, orderType + " order without a price", symbol);
         return;
        }
      pending = true;
      if(orderType == "limit" && buy)
         g_trade.BuyLimit(volume, price, symbol, sl, tp, ORDER_TIME_GTC, 0, id);
      else if(orderType == "limit")
         g_trade.SellLimit(volume, price, symbol, sl, tp, ORDER_TIME_GTC, 0, id);
      else if(buy)
         g_trade.BuyStop(volume, price, symbol, sl, tp, ORDER_TIME_GTC, 0, id);
      else
         g_trade.SellStop(volume, price, symbol, sl, tp, ORDER_TIME_GTC, 0, id);
     }
   else
     {
      SendExecution(id, 0, "rejected", 0.0, 0.0, "unknown order_type '" + orderType + "'", symbol);
      return;
     }

   uint retcode = g_trade.ResultRetcode();
   ulong ticket = g_trade.ResultOrder();
   if(pending && retcode == TRADE_RETCODE_PLACED)
     {
      // The protocol has no "placed" status: the execution frame is sent when it fills
      // (OnTradeTransaction), or as rejected when it is cancelled or expires.
      int k = ArraySize(g_pendingOrders);
      ArrayResize(g_pendingOrders, k + 1);
      ArrayResize(g_pendingIds, k + 1);
      g_pendingOrders[k] = ticket;
      g_pendingIds[k] = id;
      return;
     }
   if(retcode == TRADE_RETCODE_DONE || retcode == TRADE_RETCODE_DONE_PARTIAL)
     {
      double filled = g_trade.ResultVolume();
      double fillPrice = DealPrice(g_trade.ResultDeal(), g_trade.ResultPrice());
      bool partial = (retcode == TRADE_RETCODE_DONE_PARTIAL) || (filled < volume - 1e-9);
      SendExecution(id, ticket, partial ? "partial" : "filled", fillPrice, filled, "", symbol);
      return;
     }
   SendExecution(id, ticket, "rejected", 0.0, 0.0,
                 IntegerToString((long)retcode) + " " + g_trade.ResultRetcodeDescription() + " (error " + IntegerToString(GetLastError()) + ")", symbol);
  }

//--- closes one position (by ticket) or every position of the symbol this EA opened
void ExecuteClose(const string json, const string id)
  {
   string symbol = JsonString(json, "symbol");
   string ticketText = JsonString(json, "ticket");
   double volume = JsonDouble(json, "volume", 0.0);
   double closedVolume = 0.0;
   double notional = 0.0;
   ulong lastTicket = 0;
   int failures = 0;
   string error = "";

   if(ticketText != "")
     {
      ulong ticket = (ulong)StringToInteger(ticketText);
      lastTicket = ticket;
      if(!ClosePosition(ticket, volume, id, closedVolume, notional, error))
         failures++;
     }
   else
     {
      for(int i = PositionsTotal() - 1; i >= 0; i--)
        {
         ulong ticket = PositionGetTicket(i); // also selects the position
         if(ticket == 0)
            continue;
         if(PositionGetString(POSITION_SYMBOL) != symbol || PositionGetInteger(POSITION_MAGIC) != MagicNumber)
            continue;
         if(ClosePosition(ticket, 0.0, id, closedVolume, notional, error))
            lastTicket = ticket;
         else
            failures++;
        }
      if(lastTicket == 0 && failures == 0)
         error = "no open position for " + symbol;
     }

   string status = "filled";
   if(closedVolume <= 0.0)
      status = "rejected";
   else if(failures > 0 || (volume > 0.0 && closedVolume < volume - 1e-9))
      status = "partial";
   double averagePrice = closedVolume > 0.0 ? notional / closedVolume : 0.0;
   SendExecution(id, lastTicket, status, averagePrice, closedVolume, status == "filled" ? "" : error, symbol);
  }

bool ClosePosition(const ulong ticket, double volume, const string id, double &closedVolume, double &notional, string &error)
  {
   if(!PositionSelectByTicket(ticket))
     {
      error = "position " + IntegerToString((long)ticket) + " not found";
      return(false);
     }
   string symbol = PositionGetString(POSITION_SYMBOL);
   double positionVolume = PositionGetDouble(POSITION_VOLUME);
   if(volume <= 0.0 || volume > positionVolume)
      volume = positionVolume;
   bool isBuy = (PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY);

   // Built by hand rather than with CTrade::PositionClose, which has no comment parameter:
   // the client order id must reach the closing order's comment too.
   MqlTradeRequest request;
   MqlTradeResult result;
   ZeroMemory(request);
   ZeroMemory(result);
   request.action = TRADE_ACTION_DEAL;
   request.position = ticket;
   request.symbol = symbol;
   request.volume = NormalizeVolume(symbol, volume);
   request.type = isBuy ? ORDER_TYPE_SELL : ORDER_TYPE_BUY;
   request.price = SymbolInfoDouble(symbol, isBuy ? SYMBOL_BID : SYMBOL_ASK);
   request.deviation = (ulong)SlippagePoints;
   request.magic = (ulong)MagicNumber;
   request.type_filling = FillingFor(symbol);
   request.comment = id;
   ResetLastError();
   g_trade.OrderSend(request, result);
   if(result.retcode == TRADE_RETCODE_DONE || result.retcode == TRADE_RETCODE_DONE_PARTIAL)
     {
      closedVolume += result.volume;
      notional += result.volume * DealPrice(result.deal, result.price);
      return(result.retcode == TRADE_RETCODE_DONE);
     }
   error = IntegerToString((long)result.retcode) + " " + result.comment + " (error " + IntegerToString(GetLastError()) + ")";
   return(false);
  }

//--- pending orders: report the fill (or the cancellation) of the orders placed for the engine
void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result)
  {
   int k = PendingIndex(trans.order);
   if(k < 0)
      return;
   if(trans.type == TRADE_TRANSACTION_DEAL_ADD)
     {
      bool stillWorking = OrderSelect(trans.order); // an active order still has volume left
      SendExecution(g_pendingIds[k], trans.order, stillWorking ? "partial" : "filled", trans.price, trans.volume, "", trans.symbol);
      if(!stillWorking)
         PendingRemove(k);
     }
   else if(trans.type == TRADE_TRANSACTION_HISTORY_ADD &&
           (trans.order_state == ORDER_STATE_CANCELED || trans.order_state == ORDER_STATE_EXPIRED || trans.order_state == ORDER_STATE_REJECTED))
     {
      SendExecution(g_pendingIds[k], trans.order, "rejected", 0.0, 0.0, "order " + EnumToString(trans.order_state), trans.symbol);
      PendingRemove(k);
     }
  }

int PendingIndex(const ulong order)
  {
   for(int i = 0; i < ArraySize(g_pendingOrders); i++)
      if(g_pendingOrders[i] == order)
         return(i);
   return(-1);
  }

void PendingRemove(const int k)
  {
   int last = ArraySize(g_pendingOrders) - 1;
   g_pendingOrders[k] = g_pendingOrders[last];
   g_pendingIds[k] = g_pendingIds[last];
   ArrayResize(g_pendingOrders, last);
   ArrayResize(g_pendingIds, last);
  }

void SendExecution(const string id, const ulong ticket, const string status, const double price, const double volume,
                   const string error, const string symbol)
  {
   int digits = (int)SymbolInfoInteger(symbol, SYMBOL_DIGITS);
   string frame = "{\"type\":\"execution\",\"client_order_id\":\"" + JsonEscape(id) + "\"" +
                  ",\"ticket\":" + IntegerToString((long)ticket) +
                  ",\"status\":\"" + status + "\"" +
                  ",\"price\":" + DoubleToString(price, digits) +
                  ",\"volume\":" + DoubleToString(volume, VolumeDigits(symbol));
   if(error != "")
      frame += ",\"error\":\"" + JsonEscape(error) + "\"";
   frame += "}";
   if(status == "rejected")
      PrintFormat("TradePilotBridge: %s rejected: %s", id, error);
   SendOrBuffer(frame);
  }

//+------------------------------------------------------------------+
//| Trading helpers                                                  |
//+------------------------------------------------------------------+
ENUM_ORDER_TYPE_FILLING FillingFor(const string symbol)
  {
   long modes = SymbolInfoInteger(symbol, SYMBOL_FILLING_MODE);
   if((modes & SYMBOL_FILLING_FOK) == SYMBOL_FILLING_FOK)
      return(ORDER_FILLING_FOK);
   if((modes & SYMBOL_FILLING_IOC) == SYMBOL_FILLING_IOC)
      return(ORDER_FILLING_IOC);
   return(ORDER_FILLING_RETURN);
  }

//--- "" when the volume fits the symbol's limits, else why not
string CheckVolume(const string symbol, const double volume)
  {
   double minimum = SymbolInfoDouble(symbol, SYMBOL_VOLUME_MIN);
   double maximum = SymbolInfoDouble(symbol, SYMBOL_VOLUME_MAX);
   double normalized = NormalizeVolume(symbol, volume);
   if(volume <= 0.0 || normalized < minimum - 1e-9)
      return("volume " + DoubleToString(volume, 8) + " below the minimum " + DoubleToString(minimum, VolumeDigits(symbol)));
   if(maximum > 0.0 && normalized > maximum + 1e-9)
      return("volume " + DoubleToString(volume, 8) + " above the maximum " + DoubleToString(maximum, VolumeDigits(symbol)));
   return("");
  }

//--- rounds down to the symbol's volume step (never trade more than asked)
double NormalizeVolume(const string symbol, double volume)
  {
   double step = SymbolInfoDouble(symbol, SYMBOL_VOLUME_STEP);
   if(step > 0.0)
      volume = MathFloor(volume / step + 1e-9) * step;
   return(NormalizeDouble(volume, VolumeDigits(symbol)));
  }

int VolumeDigits(const string symbol)
  {
   double step = SymbolInfoDouble(symbol, SYMBOL_VOLUME_STEP);
   int digits = 0;
   while(digits < 8 && step > 0.0 && MathAbs(step - MathRound(step)) > 1e-9)
     {
      step *= 10.0;
      digits++;
     }
   return(digits);
  }

//--- exchange-execution brokers may leave result.price at 0: read the deal itself
double DealPrice(const ulong deal, const double fallback)
  {
   if(fallback > 0.0 || deal == 0)
      return(fallback);
   if(HistoryDealSelect(deal))
      return(HistoryDealGetDouble(deal, DEAL_PRICE));
   return(fallback);
  }

//+------------------------------------------------------------------+
//| Minimal JSON                                                     |
//| The engine sends flat objects whose strings need no escapes      |
//| (ids are [A-Za-z0-9_-], symbols [A-Za-z0-9._#-]), so a field     |
//| extractor is enough; no general JSON parser is needed here.      |
//+------------------------------------------------------------------+
bool IsJsonSpace(const ushort c)
  {
   return(c == ' ' || c == '\t' || c == '\r' || c == '\n');
  }

//--- the raw value of "key": a string's content, or a bare token (number, true, null); "" if absent
string JsonRaw(const string json, const string key)
  {
   string needle = "\"" + key + "\"";
   int length = StringLen(json);
   int pos = StringFind(json, needle);
   while(pos >= 0)
     {
      int i = pos + StringLen(needle);
      while(i < length && IsJsonSpace(StringGetCharacter(json, i)))
         i++;
      if(i < length && StringGetCharacter(json, i) == ':')
        {
         i++;
         while(i < length && IsJsonSpace(StringGetCharacter(json, i)))
            i++;
         if(i < length && StringGetCharacter(json, i) == '"')
           {
            int end = StringFind(json, "\"", i + 1);
            if(end < 0)
               return("");
            return(StringSubstr(json, i + 1, end - i - 1));
           }
         int start = i;
         while(i < length)
           {
            ushort c = StringGetCharacter(json, i);
            if(c == ',' || c == '}' || IsJsonSpace(c))
               break;
            i++;
           }
         string token = StringSubstr(json, start, i - start);
         return(token == "null" ? "" : token);
        }
      pos = StringFind(json, needle, pos + 1); // that occurrence was a value, not a key
     }
   return("");
  }

string JsonString(const string json, const string key)
  {
   return(JsonRaw(json, key));
  }

double JsonDouble(const string json, const string key, const double fallback)
  {
   string raw = JsonRaw(json, key);
   if(raw == "")
      return(fallback);
   return(StringToDouble(raw));
  }

string JsonEscape(string text)
  {
   StringReplace(text, "\\", "\\\\");
   StringReplace(text, "\"", "\\\"");
   StringReplace(text, "\n", "\\n");
   StringReplace(text, "\r", "\\r");
   StringReplace(text, "\t", "\\t");
   return(text);
  }
//+------------------------------------------------------------------+
