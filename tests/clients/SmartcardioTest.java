// javax.smartcardio against ccidkit's libpcsclite.so.1 (test_smartcardio.sh):
// list the terminals, wait for the card, connect, ECHO and GET DATA.
// With the argument "list" it only lists the terminals.
import java.util.List;
import javax.smartcardio.Card;
import javax.smartcardio.CardException;
import javax.smartcardio.CardChannel;
import javax.smartcardio.CardTerminal;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import javax.smartcardio.TerminalFactory;

public class SmartcardioTest {
	static String hex(byte[] b) {
		StringBuilder s = new StringBuilder();
		for (byte x : b) {
			if (s.length() > 0)
				s.append(' ');
			s.append(String.format("%02X", x & 0xff));
		}
		return s.toString();
	}

	static void show(String what, ResponseAPDU r) {
		System.out.println(what + ": data " + hex(r.getData())
			+ ", SW " + String.format("%04X", r.getSW()));
	}

	public static void main(String[] args) throws Exception {
		TerminalFactory f = TerminalFactory.getDefault();
		System.out.println("provider: " + f.getType());
		List<CardTerminal> ts;
		try {
			ts = f.terminals().list();
		} catch (CardException e) {
			// OpenJDK 17 does not turn SCARD_E_NO_READERS_AVAILABLE
			// (no reader at all) into an empty list: it throws, with the
			// PC/SC code as the cause's message.
			System.out.println(e.getMessage() + ": " + e.getCause().getMessage());
			return;
		}
		System.out.println("terminals: " + ts.size());
		for (CardTerminal t : ts)
			System.out.println("terminal: " + t.getName()
				+ ", card present: " + t.isCardPresent());
		if (args.length > 0 && args[0].equals("list"))
			return;
		CardTerminal t = ts.get(0);
		System.out.println("waitForCardPresent: " + t.waitForCardPresent(5000));
		Card c = t.connect("*");
		System.out.println("protocol: " + c.getProtocol());
		System.out.println("ATR: " + hex(c.getATR().getBytes()));
		CardChannel ch = c.getBasicChannel();
		show("ECHO", ch.transmit(new CommandAPDU(0x80, 0x10, 0x00, 0x00,
			new byte[] { 1, 2, 3 })));
		// PC/SC Part 3 GET DATA (UID): a contact card refuses the class.
		show("GET DATA", ch.transmit(new CommandAPDU(0xFF, 0xCA, 0x00, 0x00, 256)));
		c.disconnect(false);
		System.out.println("disconnected");
	}
}
